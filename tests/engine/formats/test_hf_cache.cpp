#include <QTemporaryDir>
#include <QtTest>

#include <cstdlib>

#include "formats/hf_cache.h"
#include "test_support.h"

using namespace loom;
namespace fs = std::filesystem;
using loom::test::expect_error;
using loom::test::write_file;

// A fake Hugging Face cache laid out as huggingface_hub does: snapshot files are relative links into blobs/.
class TestHfCache : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    fs::path root_;

    fs::path make_repo(const std::string& folder_name, const std::string& commit) {
        fs::path repo = root_ / folder_name;
        write_file(repo / "blobs" / "abc123", "{}");
        fs::create_directories(repo / "snapshots" / commit);
        fs::create_symlink("../../blobs/abc123", repo / "snapshots" / commit / "config.json");
        write_file(repo / "refs" / "main", commit + "\n");
        return repo;
    }

  private slots:
    void initTestCase() {
        root_ = fs::path(dir_.path().toStdString()) / "hub";
        make_repo("models--org--tiny", "1111");
        fs::path repo = make_repo("models--org--two", "2222");
        fs::create_directories(repo / "snapshots" / "3333");
        write_file(repo / "refs" / "dev", "3333");
        write_file(root_ / "datasets--org--data" / "refs" / "main", "x");
    }

    void rootFollowsEnvironment() {
        qputenv("HF_HUB_CACHE", "/tmp/hub-cache");
        qputenv("HF_HOME", "/tmp/hf-home");
        QCOMPARE(hf_cache_root(), fs::path("/tmp/hub-cache"));
        qunsetenv("HF_HUB_CACHE");
        QCOMPARE(hf_cache_root(), fs::path("/tmp/hf-home/hub"));
        qunsetenv("HF_HOME");
        qputenv("HOME", "/home/someone");
        QCOMPARE(hf_cache_root(), fs::path("/home/someone/.cache/huggingface/hub"));
    }

    void listsModelRepos() {
        std::vector<HfCacheRepo> repos = list_hf_cache(root_);
        QCOMPARE(repos.size(), size_t(2));
        QCOMPARE(repos[0].id, std::string("org/tiny"));
        QCOMPARE(*repos[0].main, std::string("1111"));
        QCOMPARE(repos[1].snapshots.size(), size_t(2));
        QVERIFY(list_hf_cache(root_ / "missing").empty());
    }

    void resolvesNamesAndRevisions() {
        QCOMPARE(resolve_model_location("org/tiny", root_),
                 root_ / "models--org--tiny" / "snapshots" / "1111");
        QCOMPARE(resolve_model_location("org/two@dev", root_),
                 root_ / "models--org--two" / "snapshots" / "3333");
        QCOMPARE(resolve_model_location("org/two@3333", root_),
                 root_ / "models--org--two" / "snapshots" / "3333");
        // A repo folder given as a path resolves to its main snapshot.
        QCOMPARE(resolve_model_location((root_ / "models--org--tiny").string(), root_),
                 root_ / "models--org--tiny" / "snapshots" / "1111");
    }

    void aGgufRepositoryResolvesToItsFile() {
        // No config.json, one GGUF file: the name means that file. With two, the user must choose.
        fs::path repo = root_ / "models--org--tiny-GGUF";
        write_file(repo / "blobs" / "g1", "GGUF");
        fs::create_directories(repo / "snapshots" / "4444");
        fs::create_symlink("../../blobs/g1", repo / "snapshots" / "4444" / "tiny-q8_0.gguf");
        write_file(repo / "refs" / "main", "4444");
        QCOMPARE(resolve_model_location("org/tiny-GGUF", root_),
                 repo / "snapshots" / "4444" / "tiny-q8_0.gguf");
        fs::create_symlink("../../blobs/g1", repo / "snapshots" / "4444" / "tiny-q4_0.gguf");
        expect_error([&] { resolve_model_location("org/tiny-GGUF", root_); },
                     "holds 2 GGUF files (tiny-q4_0.gguf, tiny-q8_0.gguf): give one of them");
        QCOMPARE(resolve_model_location((repo / "snapshots" / "4444" / "tiny-q4_0.gguf").string(), root_),
                 repo / "snapshots" / "4444" / "tiny-q4_0.gguf");
        fs::remove_all(repo);  // listsModelRepos counts the others
    }

    void explainsWhatIsMissing() {
        expect_error([&] { resolve_model_location("org/absent", root_); },
                     "huggingface-cli download org/absent");
        expect_error([&] { resolve_model_location("org/two@nope", root_); }, "no snapshot 'nope'");
        expect_error([&] { resolve_model_location("org/two@../../x", root_); }, "not a valid revision");
        expect_error([&] { resolve_model_location("/no/such/path", root_); }, "no model file or folder");
        expect_error([&] { resolve_model_location("", root_); }, "no model given");
    }

    void followsOnlySafeLinks() {
        fs::path repo = root_ / "models--org--tiny";
        fs::path snapshot = repo / "snapshots" / "1111";
        QCOMPARE(follow_snapshot_link(snapshot / "config.json", repo),
                 fs::canonical(repo / "blobs" / "abc123"));
        check_snapshot_links(snapshot);  // all fine

        fs::create_symlink("../../blobs/missing", snapshot / "broken.json");
        expect_error([&] { check_snapshot_links(snapshot); }, "broken link");
        fs::remove(snapshot / "broken.json");

        write_file(root_ / "outside.txt", "secret");
        fs::create_symlink("../../../outside.txt", snapshot / "escape.json");
        expect_error([&] { check_snapshot_links(snapshot); }, "outside its repository");
        fs::remove(snapshot / "escape.json");
    }
};

QTEST_APPLESS_MAIN(TestHfCache)
#include "test_hf_cache.moc"
