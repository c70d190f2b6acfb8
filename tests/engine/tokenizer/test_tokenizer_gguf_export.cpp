// Writing tokenizers as GGUF metadata: the parts made from each Hugging Face tokenizer.json, written as GGUF
// metadata and read back, give the same ids as the tokenizer.json itself on the whole corpus.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <map>
#include <memory>

#include "formats/gguf_keys.h"
#include "tokenizer/gguf_tokenizer.h"
#include "tokenizer_test_data.h"
#include "util/error.h"

using namespace loom;
using namespace tokenizer_test;

class TestTokenizerGgufExport : public QObject {
    Q_OBJECT

    nlohmann::json golden_;

  private slots:
    void initTestCase() {
        golden_ = read_json(data_dir() / "golden.json");
        const std::string missing = missing_reference_files(golden_);
        QVERIFY2(missing.empty(), missing.c_str());
    }

    void sameIdsThroughGguf_data() {
        QTest::addColumn<QString>("name");
        for (const auto& [name, entry] : golden_["tokenizers"].items())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void sameIdsThroughGguf() {
        QFETCH(QString, name);
        const std::filesystem::path folder = folder_of(golden_, name.toStdString());
        const Tokenizer original = Tokenizer::from_hf_folder(folder);

        TokenizerParts parts = tokenizer_parts_from_hf_folder(folder);
        GgufMetadata metadata("test");
        write_tokenizer_metadata(parts, metadata);
        const Tokenizer through_gguf = tokenizer_from_gguf(metadata);
        QCOMPARE(through_gguf.vocab_size(), original.vocab_size());
        QCOMPARE(through_gguf.kind(), original.kind());
        QCOMPARE(through_gguf.special().bos, original.special().bos);
        QCOMPARE(through_gguf.special().eos, original.special().eos);
        QCOMPARE(through_gguf.special().add_bos, original.special().add_bos);

        size_t lines = 0;
        for (const auto& line : golden_["lines"]) {
            const std::string text = from_hex(line["hex"].get<std::string>());
            for (bool special : {true, false}) {
                EncodeOptions options;
                options.parse_special = special;
                std::vector<int32_t> want = original.encode(text, options),
                                     got = through_gguf.encode(text, options);
                QVERIFY2(got == want,
                         qPrintable(QString("%1, line '%2'")
                                        .arg(name, QString::fromStdString(line["name"].get<std::string>()))));
                QCOMPARE(through_gguf.decode(got), original.decode(want));
            }
            ++lines;
        }
        QVERIFY(lines > 50);
    }

    void refusesWhatGgufCannotSay() {
        QTemporaryDir dir;
        std::filesystem::path folder = dir.path().toStdString();
        nlohmann::json tokenizer = read_json(stories260k_dir() / "tokenizer.json");
        tokenizer["model"]["type"] = "WordPiece";
        std::ofstream(folder / "tokenizer.json") << tokenizer.dump();
        try {
            tokenizer_parts_from_hf_folder(folder);
            QFAIL("a WordPiece tokenizer was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("only BPE") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestTokenizerGgufExport)
#include "test_tokenizer_gguf_export.moc"
