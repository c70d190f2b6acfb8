// The built-in model, stories260K, as a user gets it: greedy text from BOS is Karpathy's published sample.
#include <QtTest>

#include <QTemporaryDir>

#include "api/builtin_model.h"
#include "api/generate.h"
#include "formats/gguf.h"
#include "formats/gguf_keys.h"
#include "formats/gguf_writer.h"
#include "model/session.h"
#include "test_support.h"

using namespace loom;

class TestStories : public QObject {
    Q_OBJECT
  private slots:
    // A GGUF file's general.license (with .name and .link for "other" licences) becomes Model::licence().
    void licenceFromGgufMetadata() {
        const std::string stories = (test::data_dir() / "models" / "stories260K.gguf").string();
        LoadOptions load;
        load.model = stories;
        QVERIFY(!Model::load(load)->licence());  // the file states none

        GgufFile original = GgufFile::open(stories);
        GgufWriter writer;
        for (const auto& [name, value] : original.metadata().entries())
            writer.set(name, value);
        writer.set(gguf::key::kGeneralLicense, GgufValue::string("other"));
        writer.set(gguf::key::kGeneralLicenseName, GgufValue::string("Example Licence"));
        writer.set(gguf::key::kGeneralLicenseLink, GgufValue::string("https://example.org/licence"));
        for (const StoredTensor& tensor : original.tensors())
            writer.add_tensor(tensor);
        QTemporaryDir dir;
        load.model = dir.filePath("licensed.gguf").toStdString();
        writer.write_file(load.model);
        std::optional<std::string> licence = Model::load(load)->licence();
        QVERIFY(licence);
        QCOMPARE(*licence, std::string("other: Example Licence, https://example.org/licence"));
    }

    void greedyStoryFromBos_data() {
        QTest::addColumn<QString>("path");
        QTest::newRow("Hugging Face folder") << QString::fromStdString(builtin_model_path().string());
        QTest::newRow("GGUF") << QString::fromStdString(
            (test::data_dir() / "models" / "stories260K.gguf").string());
    }
    void greedyStoryFromBos() {
        QFETCH(QString, path);
        LoadOptions load;
        load.model = path.toStdString();
        std::shared_ptr<Model> model = Model::load(load);
        QCOMPARE(model->config().architecture, std::string("llama"));
        // The 260K of its name; the GGUF stores the output matrix again instead of sharing the embedding.
        int64_t expected_parameters = path.endsWith(".gguf") ? 260032 + 512 * 64 : 260032;
        QCOMPARE(model->parameter_count(), expected_parameters);

        Session session(model);
        GenerateOptions options;
        options.sampling = SamplingOptions::greedy();
        options.max_tokens = 60;
        std::string text;
        std::vector<int32_t> bos = {*model->tokenizer().special().bos};
        generate(session, bos, options, [&](const GeneratedToken& t) {
            text += t.text;
            return true;
        });
        const std::string sample =
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
            "One day, "
            "she saw a big, red ball. She wanted to play with it, but it was too high";
        QVERIFY2(text.rfind(sample, 0) == 0, text.c_str());
    }

    // The GGUF stores q/k for interleaved-pair RoPE, the Hugging Face folder for rotate-half: the same model
    // must give the same logits either way, and its tokenizer, rebuilt from GGUF metadata, the same ids.
    void ggufAndHuggingFaceAgree() {
        LoadOptions hf_load, gguf_load;
        hf_load.model = builtin_model_path().string();
        gguf_load.model = (test::data_dir() / "models" / "stories260K.gguf").string();
        std::shared_ptr<Model> hf = Model::load(hf_load), gguf = Model::load(gguf_load);
        QVERIFY(gguf->config().rope_interleaved);
        QVERIFY(!hf->config().rope_interleaved);
        for (const char* prompt : {"Once upon a time", "Lily saw a big dog. It was", "The sun"}) {
            std::vector<int32_t> hf_ids = hf->tokenizer().encode(prompt),
                                 gguf_ids = gguf->tokenizer().encode(prompt);
            QCOMPARE(gguf_ids, hf_ids);
            Session a(hf), b(gguf);
            CapturePlan plan;
            plan.logits = true;
            std::vector<float> hf_logits, gguf_logits;
            a.evaluate(hf_ids, &plan,
                       [&](const Captured& c) { hf_logits.assign(c.values.begin(), c.values.end()); });
            b.evaluate(gguf_ids, &plan,
                       [&](const Captured& c) { gguf_logits.assign(c.values.begin(), c.values.end()); });
            QCOMPARE(hf_logits.size(), size_t(hf_ids.size() * 512));
            double worst = 0;
            for (size_t i = 0; i < hf_logits.size(); ++i)
                worst = std::max(worst, double(std::abs(hf_logits[i] - gguf_logits[i])));
            QVERIFY2(worst < 1e-4, qPrintable(QString("max logit difference %1").arg(worst)));
        }
    }
};

QTEST_APPLESS_MAIN(TestStories)
#include "test_stories.moc"
