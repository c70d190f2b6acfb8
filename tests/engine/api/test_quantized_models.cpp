// Every GGUF weight type end to end: a model saved as GGUF in that type loads, generates, and computes
// logits close to the unquantized model's (how close depends on the bits per weight).
#include <QTemporaryDir>
#include <QtTest>

#include "api/generate.h"
#include "api/gguf_export.h"
#include "api/synthetic_model.h"
#include "model/session.h"
#include "test_support.h"

using namespace loom;
namespace fs = std::filesystem;

namespace {

std::vector<float> logits_of(const std::string& path, const std::vector<int32_t>& prompt,
                             std::string* types = nullptr) {
    LoadOptions options;
    options.model = path;
    options.threads = 2;
    std::shared_ptr<Model> model = Model::load(options);
    if (types) *types = model->weight_types();
    Session session(model);
    CapturePlan plan;
    plan.logits = true;
    std::vector<float> logits;
    session.evaluate(prompt, &plan,
                     [&](const Captured& c) { logits.assign(c.values.begin(), c.values.end()); });

    GenerateOptions greedy;
    greedy.sampling = SamplingOptions::greedy();
    greedy.max_tokens = 4;
    greedy.stop_at_end_of_generation = false;
    int generated = 0;
    generate(session, prompt, greedy, [&](const GeneratedToken&) { return ++generated < 100; });
    if (generated != 4) throw Error("generation stopped early");
    return logits;
}

}  // namespace

class TestQuantizedModels : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

  private slots:
    void everyTypeRuns_data() {
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("tolerance");  // relative L2 error of the logits
        // Rows of 256 values hold every block size, so each type is used as itself (no fallback). The bounds
        // are about 1.5 times what these random weights give (the output matrix keeps 6 bits below Q6_K).
        const std::vector<std::pair<const char*, double>> types = {
            {"F16", 2e-3},   {"BF16", 1e-2}, {"Q8_0", 3e-2}, {"Q6_K", 6e-2}, {"Q5_0", 0.12},
            {"Q5_1", 0.12},  {"Q5_K", 0.12}, {"Q4_0", 0.22}, {"Q4_1", 0.22}, {"Q4_K", 0.2},
            {"Q4_K_M", 0.2}, {"Q3_K", 0.4},  {"Q2_K", 0.75}};
        for (const char* architecture : {"llama", "qwen2"})
            for (const auto& [type, tolerance] : types)
                QTest::newRow((std::string(architecture) + " " + type).c_str())
                    << architecture << type << tolerance;
    }

    void everyTypeRuns() {
        QFETCH(QString, architecture);
        QFETCH(QString, type);
        QFETCH(double, tolerance);
        fs::path folder = fs::path(dir_.path().toStdString()) / architecture.toStdString();
        if (!fs::exists(folder))
            write_synthetic_model(SyntheticModelSpec::small_for_every_type(architecture.toStdString()),
                                  folder);
        const std::vector<int32_t> prompt = {72, 101, 108, 108, 111, 32, 116, 104, 101, 114, 101};
        std::vector<float> reference = logits_of(folder.string(), prompt);

        fs::path file = folder.string() + "-" + type.toStdString() + ".gguf";
        GgufExportOptions options;
        options.scheme = QuantScheme::parse(type.toStdString());
        export_gguf(folder, file, options);
        std::string types;
        std::vector<float> quantized = logits_of(file.string(), prompt, &types);
        QVERIFY2(types.find(type == "Q4_K_M" ? "Q4_K" : type.toStdString()) != std::string::npos,
                 types.c_str());
        double error = test::relative_error(quantized, reference);
        qInfo("%s %s: logits differ by %.4f (relative), weights %s", qPrintable(architecture),
              qPrintable(type), error, types.c_str());
        QVERIFY2(error < tolerance, qPrintable(QString("error %1 above %2").arg(error).arg(tolerance)));
        QVERIFY(error > 0 || type == "F16");  // a type that changed nothing was not applied
    }
};

QTEST_APPLESS_MAIN(TestQuantizedModels)
#include "test_quantized_models.moc"
