// Model discovery on a fake Hugging Face cache made in a temporary folder, laid out as huggingface_hub does
// (snapshots of relative links into blobs/, refs/main), plus a user folder with a GGUF file and a model
// folder: every model is listed with what it is, and those that cannot run say why in plain words.
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "catalog/catalog_scan.h"
#include "catalog/model_catalog.h"
#include "formats/hf_cache.h"
#include "util/error.h"

using namespace loom::ui;
namespace fs = std::filesystem;

namespace {

const fs::path kStories = fs::path(LOOM_RESOURCES_DIR) / "models" / "stories260K";

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A cache repo whose snapshot `commit` holds `files` (name -> contents) as links into blobs/.
fs::path make_repo(const fs::path& root, const std::string& id, const std::string& commit,
                   const std::map<std::string, std::string>& files, bool main = true) {
    std::string folder = "models--" + id;
    folder.replace(folder.find('/'), 1, "--");
    fs::path repo = root / folder;
    fs::create_directories(repo / "snapshots" / commit);
    int blob = 0;
    for (const auto& [name, contents] : files) {
        std::string blob_name = commit + "-blob" + std::to_string(blob++);
        write(repo / "blobs" / blob_name, contents);
        fs::create_symlink("../../blobs/" + blob_name, repo / "snapshots" / commit / name);
    }
    if (main) write(repo / "refs" / "main", commit);
    return repo;
}

std::map<std::string, std::string> stories_files() {
    std::map<std::string, std::string> files;
    for (const char* name : {"config.json", "tokenizer.json", "tokenizer_config.json",
                             "generation_config.json", "model.safetensors"})
        files[name] = read(kStories / name);
    return files;
}

const ModelEntry* find(const QVector<ModelEntry>& entries, const QString& group, const QString& name_start) {
    for (const ModelEntry& e : entries)
        if (e.group == group && e.name.startsWith(name_start)) return &e;
    return nullptr;
}

}  // namespace

class TestModelCatalog : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    fs::path root_;  // the fake cache
    fs::path user_;  // a folder the user added

  private slots:
    void initTestCase() {
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                           dir_.filePath(QStringLiteral("config")));
        root_ = fs::path(dir_.path().toStdString()) / "hub";
        user_ = fs::path(dir_.path().toStdString()) / "my models";

        make_repo(root_, "karpathy/stories", "1111aaaa2222bbbb", stories_files());
        make_repo(root_, "karpathy/stories", "0000older", stories_files(), false);  // an older snapshot

        auto broken = stories_files();
        fs::path repo = make_repo(root_, "someone/broken", "3333", broken);
        fs::remove(repo / "blobs" / "3333-blob2");  // model.safetensors' blob: the download did not finish

        auto mamba = stories_files();
        mamba["config.json"] = R"({"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 2})";
        make_repo(root_, "state-spaces/mamba-tiny", "4444", mamba);

        auto no_tokenizer = stories_files();
        no_tokenizer.erase("tokenizer.json");
        make_repo(root_, "someone/no-tokenizer", "5555", no_tokenizer);

        fs::create_directories(root_ / "models--someone--empty" / "snapshots");

        // A GGUF repository: no config.json, one file per quantization, and one whose download broke off.
        const std::string gguf = read(fs::path(LOOM_TEST_DATA_DIR) / "models" / "stories260K.gguf");
        fs::path gguf_repo = make_repo(root_, "someone/stories-GGUF", "6666",
                                       {{"stories-f32.gguf", gguf},
                                        {"stories-copy.gguf", gguf},
                                        {"stories-partial.gguf", gguf},
                                        {"README.md", "# GGUF files"}});
        fs::remove(gguf_repo / "blobs" / "6666-blob3");  // stories-partial.gguf's blob

        fs::create_directories(user_ / "gguf");
        fs::copy_file(fs::path(LOOM_TEST_DATA_DIR) / "models" / "stories260K.gguf",
                      user_ / "gguf" / "stories.gguf");
        fs::create_directories(user_ / "nested" / "deeper");
        fs::copy(kStories, user_ / "nested" / "deeper" / "stories-copy", fs::copy_options::recursive);
        write(user_ / "notes.txt", "not a model");
        fs::create_directory_symlink(user_, user_ / "nested" / "loop");  // scanning must not follow it
    }

    void listsSnapshotsWithWhatTheyAre() {
        QVector<ModelEntry> entries = scan_hf_cache(QString::fromStdString(root_.string()));
        const ModelEntry* main =
            find(entries, QStringLiteral("karpathy/stories"), QStringLiteral("1111aaaa2222"));
        QVERIFY(main);
        QVERIFY(main->isMainRevision);
        QVERIFY(main->name.endsWith(QStringLiteral("(main)")));
        QVERIFY2(main->runnable, qPrintable(main->problem));
        QCOMPARE(main->source, ModelSource::HuggingFaceCache);
        QCOMPARE(main->architecture, QStringLiteral("llama"));
        QCOMPARE(main->parameters, qint64(260032));
        QCOMPARE(main->dtypes, QStringLiteral("F32"));
        QCOMPARE(main->format, QStringLiteral("safetensors"));
        QVERIFY(main->bytesOnDisk > 1000000);  // sizes of the blobs, through the links
        QVERIFY(!main->tokenizer.isEmpty());
        QVERIFY(main->path.endsWith(QStringLiteral("snapshots/1111aaaa2222bbbb")));

        const ModelEntry* older =
            find(entries, QStringLiteral("karpathy/stories"), QStringLiteral("0000older"));
        QVERIFY(older);
        QVERIFY(!older->isMainRevision);
        QVERIFY(older->runnable);
    }

    void listsEachFileOfAGgufRepository() {
        QVector<ModelEntry> entries = scan_hf_cache(QString::fromStdString(root_.string()));
        const QString repo = QStringLiteral("someone/stories-GGUF");
        const ModelEntry* f32 = find(entries, repo, QStringLiteral("stories-f32.gguf"));
        QVERIFY(f32);
        QVERIFY2(f32->runnable, qPrintable(f32->problem));
        QCOMPARE(f32->format, QStringLiteral("GGUF"));
        QCOMPARE(f32->architecture, QStringLiteral("llama"));
        QVERIFY(f32->isMainRevision);
        QVERIFY(f32->name.endsWith(QStringLiteral("(main)")));
        QVERIFY(f32->path.endsWith(QStringLiteral("snapshots/6666/stories-f32.gguf")));
        QVERIFY(find(entries, repo, QStringLiteral("stories-copy.gguf")));
        const ModelEntry* partial = find(entries, repo, QStringLiteral("stories-partial.gguf"));
        QVERIFY(partial);
        QVERIFY(!partial->runnable);
        QVERIFY2(!partial->problem.isEmpty(), "a broken GGUF link must say why");
        QVERIFY(!find(entries, repo, QStringLiteral("README")));  // not a model
        QVERIFY(!find(entries, repo, QStringLiteral("6666")));    // the snapshot is not an entry itself

        // By its name, such a repository needs the file chosen: the message lists them.
        try {
            loom::resolve_model_location("someone/stories-GGUF", root_);
            QFAIL("a repository of several GGUF files resolved to one of them");
        } catch (const loom::Error& e) {
            QVERIFY2(std::string(e.what()).find("holds 3 GGUF files (stories-copy.gguf, stories-f32.gguf, "
                                                "stories-partial.gguf)") != std::string::npos,
                     e.what());
        }
    }

    void saysWhyAModelCannotRun() {
        QVector<ModelEntry> entries = scan_hf_cache(QString::fromStdString(root_.string()));
        struct Expected {
            const char* group;
            const char* reason;
        };
        for (const Expected& e :
             {Expected{"someone/broken", "broken link"}, Expected{"state-spaces/mamba-tiny", "not supported"},
              Expected{"someone/no-tokenizer", "tokenizer is missing"},
              Expected{"someone/empty", "no snapshot"}}) {
            const ModelEntry* entry = find(entries, QString::fromLatin1(e.group), QString());
            QVERIFY2(entry, e.group);
            QVERIFY2(!entry->runnable, e.group);
            QVERIFY2(entry->problem.contains(QLatin1String(e.reason)),
                     qPrintable(e.group + (": " + entry->problem)));
        }
        const ModelEntry* mamba = find(entries, QStringLiteral("state-spaces/mamba-tiny"), QString());
        QCOMPARE(mamba->architecture, QStringLiteral("mamba"));  // the file's own word for it
        QVERIFY(mamba->problem.contains(QStringLiteral("mamba")));

        // Too big for the memory it may use.
        QVector<ModelEntry> tight = scan_hf_cache(QString::fromStdString(root_.string()), 1000);
        const ModelEntry* big = find(tight, QStringLiteral("karpathy/stories"), QStringLiteral("1111"));
        QVERIFY(!big->runnable);
        QVERIFY2(big->problem.contains(QStringLiteral("too big")), qPrintable(big->problem));
    }

    void searchesUserFolders() {
        QVector<ModelEntry> entries = scan_user_path(QString::fromStdString(user_.string()));
        QCOMPARE(entries.size(),
                 2);  // the GGUF file and the model folder; not the text file, not twice via the loop
        const ModelEntry* gguf = nullptr;
        const ModelEntry* folder = nullptr;
        for (const ModelEntry& e : entries)
            (e.path.endsWith(QStringLiteral(".gguf")) ? gguf : folder) = &e;
        QVERIFY(gguf && folder);
        QCOMPARE(gguf->format, QStringLiteral("GGUF"));
        QCOMPARE(gguf->source, ModelSource::UserFolder);
        QCOMPARE(gguf->group, QString::fromStdString(user_.string()));
        QVERIFY(gguf->bytesOnDisk > 1000000);
        QVERIFY2(gguf->runnable || !gguf->problem.isEmpty(), "a GGUF that cannot run must say why");
        QVERIFY(folder->path.endsWith(QStringLiteral("nested/deeper/stories-copy")));
        QVERIFY(folder->runnable);

        // A model file or folder added by itself is one entry; a file that is no model says so.
        QCOMPARE(scan_user_path(QString::fromStdString((user_ / "gguf" / "stories.gguf").string())).size(),
                 1);
        QVector<ModelEntry> text = scan_user_path(QString::fromStdString((user_ / "notes.txt").string()));
        QCOMPARE(text.size(), 1);
        QVERIFY(text.front().problem.contains(QStringLiteral("not a model")));
        QVector<ModelEntry> gone = scan_user_path(dir_.filePath(QStringLiteral("vanished")));
        QVERIFY(gone.front().problem.contains(QStringLiteral("no longer exists")));
    }

    void scansInTheBackgroundAndRemembersFolders() {
        qputenv("HF_HUB_CACHE", root_.string().c_str());
        // The main window builds its catalog from the engine's own cache rules.
        const QString cache = QString::fromStdString(loom::hf_cache_root().string());
        QCOMPARE(cache, QString::fromStdString(root_.string()));
        {
            ModelCatalog catalog(cache, QString::fromStdString(kStories.string()));
            QSignalSpy scanned(&catalog, &ModelCatalog::scanned);
            catalog.addUserPath(QString::fromStdString(user_.string()));  // starts a scan
            // The result comes back through the event loop, so it cannot have arrived yet: the call did not
            // wait for the scan.
            QCOMPARE(scanned.count(), 0);
            QVERIFY(scanned.wait(30000));
            const QVector<ModelEntry>& entries = catalog.entries();
            QCOMPARE(entries.front().source, ModelSource::BuiltIn);
            QVERIFY(entries.front().runnable);
            int from_cache = 0, from_user = 0;
            for (const ModelEntry& e : entries) {
                from_cache += e.source == ModelSource::HuggingFaceCache;
                from_user += e.source == ModelSource::UserFolder;
            }
            QCOMPARE(from_cache, 9);  // 6 snapshots of model folders and 3 files of a GGUF repository
            QCOMPARE(from_user, 2);
        }
        ModelCatalog again(cache, QString());
        QCOMPARE(again.userPaths(), QStringList{QString::fromStdString(user_.string())});
        again.removeUserPath(QString::fromStdString(user_.string()));
        QVERIFY(ModelCatalog(cache, QString()).userPaths().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestModelCatalog)
#include "test_model_catalog.moc"
