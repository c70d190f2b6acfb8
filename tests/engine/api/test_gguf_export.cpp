// Saving models as GGUF: the file loads back (in Loom's GGUF path, with its interleaved RoPE layout and its
// tokenizer rebuilt from metadata) and computes what the Hugging Face folder computes.
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "api/builtin_model.h"
#include "api/gguf_export.h"
#include "formats/gguf.h"
#include "formats/gguf_keys.h"
#include "model/session.h"
#include "test_support.h"

using namespace loom;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<Model> load(const fs::path& path) {
    LoadOptions options;
    options.model = path.string();
    options.threads = 2;
    return Model::load(options);
}

std::vector<float> all_logits(const std::shared_ptr<Model>& model, const std::vector<int32_t>& prompt) {
    Session session(model);
    CapturePlan plan;
    plan.logits = true;
    std::vector<float> logits;
    session.evaluate(prompt, &plan,
                     [&](const Captured& c) { logits.assign(c.values.begin(), c.values.end()); });
    return logits;
}

}  // namespace

class TestGgufExport : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

  private slots:
    void sameModelAsGguf_data() {
        QTest::addColumn<QString>("folder");
        QTest::newRow("stories260K") << QString::fromStdString(builtin_model_path().string());
        for (const char* name :
             {"llama-gqa-bf16", "llama3-rope-scaling-f32", "qwen2-bias-f32", "qwen2-bias-bf16"})
            QTest::newRow(name) << QString::fromStdString((test::data_dir() / "reference" / name).string());
    }
    void sameModelAsGguf() {
        QFETCH(QString, folder);
        fs::path source = folder.toStdString();
        fs::path file = fs::path(dir_.path().toStdString()) / (source.filename().string() + ".gguf");
        export_gguf(source, file);

        GgufFile gguf = GgufFile::open(file.string());
        QVERIFY(gguf.metadata().get_string(gguf::key::kTokenizerModel).has_value());
        std::shared_ptr<Model> original = load(source), copy = load(file);
        QCOMPARE(copy->config().layers, original->config().layers);
        QCOMPARE(copy->config().tied_embeddings, original->config().tied_embeddings);
        QCOMPARE(copy->chat_template().has_value(), original->chat_template().has_value());

        std::vector<int32_t> prompt = original->tokenizer().encode("Once upon a time, Lily saw a dog");
        QCOMPARE(copy->tokenizer().encode("Once upon a time, Lily saw a dog"), prompt);
        std::vector<float> a = all_logits(original, prompt), b = all_logits(copy, prompt);
        QCOMPARE(b.size(), a.size());
        QVERIFY2(test::relative_error(b, a) < 1e-5, qPrintable(QString::number(test::relative_error(b, a))));
    }

    void cancelLeavesNothing() {
        fs::path file = fs::path(dir_.path().toStdString()) / "cancelled.gguf";
        GgufExportOptions options;
        options.progress = [](double fraction) { return fraction < 0.5; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, export_gguf(builtin_model_path(), file, options));
        QVERIFY(!fs::exists(file));
        QVERIFY(!fs::exists(file.string() + ".partial"));
    }

    void refusesWhatItCannotWrite() {
        test::expect_error(
            [&] { export_gguf(test::data_dir() / "nothing-here", dir_.filePath("x.gguf").toStdString()); },
            "not a Hugging Face model folder");
        test::expect_error([] { QuantScheme::parse("Q9_9"); }, "unknown weight type 'Q9_9'");
    }
};

QTEST_APPLESS_MAIN(TestGgufExport)
#include "test_gguf_export.moc"
