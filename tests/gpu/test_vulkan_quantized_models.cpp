// Whole models with quantized weights on the Vulkan backend: a small random Llama (and a Qwen2 with tied
// embeddings, whose output matrix is also the token table) saved as GGUF in each quantized type, loaded
// through Model::load on Vulkan and on the CPU, prompted (prefill: the tiled matmul kernels) and then fed
// tokens one at a time (decode: matvec), choosing each next token greedily.
//
// Two references, both CPU:
//  - the same file with its weights dequantized to F32 on load: the numbers the GPU kernels compute (they
//    dequantize weights and multiply in F32), so logits agree within 1e-4 and the greedy tokens match;
//  - the file as stored: the CPU backend quantizes activations too (Q8_K, Q8_0S), so logits agree only
//    within what that costs.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>

#include "api/gguf_export.h"
#include "api/synthetic_model.h"
#include "gpu_test_support.h"
#include "model/session.h"

using namespace loom;
using namespace loom::test;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-4;  // against the dequantized weights
// Against the stored types: about twice what activation quantization costs these random models (0.011 to
// 0.014 for every type, since the weights are the same on both sides).
constexpr double kStoredTolerance = 0.03;
constexpr int kDecodeSteps = 8;

std::shared_ptr<Model> load(const fs::path& file, std::shared_ptr<Backend> backend,
                            const std::string& weight_type = {}) {
    LoadOptions options;
    options.model = file.string();
    options.backend = std::move(backend);
    options.threads = 2;
    options.weight_type = weight_type;
    return Model::load(options);
}

int32_t argmax(std::span<const float> logits) {
    return int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

std::vector<float> copy(std::span<const float> values) {
    return {values.begin(), values.end()};
}

}  // namespace

class TestVulkanQuantizedModels : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::shared_ptr<Backend> gpu_;

    // The model folder of `architecture`, written on first use.
    fs::path model_folder(const std::string& architecture) {
        fs::path folder = fs::path(dir_.path().toStdString()) / architecture;
        if (fs::exists(folder)) return folder;
        write_synthetic_model(SyntheticModelSpec::small_for_every_type(architecture), folder);
        return folder;
    }

  private slots:
    void initTestCase() { gpu_ = make_vulkan_backend({}); }

    void greedyMatchesCpu_data() {
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<QString>("type");
        for (const char* type :
             {"Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q4_K_M", "Q5_K", "Q3_K", "Q2_K", "Q4_1", "Q5_0", "Q5_1"})
            QTest::addRow("llama %s", type) << QString("llama") << QString(type);
        for (const char* type : {"Q4_K_M", "Q6_K"})
            QTest::addRow("qwen2 %s", type) << QString("qwen2") << QString(type);
    }

    void greedyMatchesCpu() {
        QFETCH(QString, architecture);
        QFETCH(QString, type);
        fs::path folder = model_folder(architecture.toStdString());
        fs::path file = folder.string() + "-" + type.toStdString() + ".gguf";
        GgufExportOptions options;
        options.scheme = QuantScheme::parse(type.toStdString());
        export_gguf(folder, file, options);

        std::shared_ptr<Model> on_gpu = load(file, gpu_);
        std::shared_ptr<Model> stored = load(file, nullptr);
        std::shared_ptr<Model> dequantized = load(file, nullptr, "F32");
        const std::string base = type == "Q4_K_M" ? "Q4_K" : type.toStdString();
        QVERIFY2(on_gpu->weight_types().find(base) != std::string::npos, on_gpu->weight_types().c_str());
        QCOMPARE(dequantized->weight_types(), std::string("F32"));

        Session gpu(on_gpu), cpu(stored), reference(dequantized);
        std::vector<int32_t> tokens = {72, 101, 108, 108, 111, 32, 116, 104, 101, 114, 101};  // > 8: matmul
        double worst = 0, worst_stored = 0;
        for (int step = 0; step <= kDecodeSteps; ++step) {
            std::span<const int32_t> input =
                step == 0 ? std::span<const int32_t>(tokens) : std::span<const int32_t>(&tokens.back(), 1);
            std::vector<float> want = copy(reference.evaluate(input));
            std::vector<float> got = copy(gpu.evaluate(input));
            std::vector<float> cpu_logits = copy(cpu.evaluate(input));
            double error = relative_error(got, want);
            worst = std::max(worst, error);
            QVERIFY2(error < kTolerance,
                     qPrintable(QStringLiteral("step %1: relative error %2").arg(step).arg(error)));
            worst_stored = std::max(worst_stored, relative_error(got, cpu_logits));
            int32_t next = argmax(want);
            QCOMPARE(argmax(got), next);
            tokens.push_back(next);
        }
        qInfo("%s %s: GPU logits within %.2g of the dequantized model's, %.4f of the stored one's",
              qPrintable(architecture), qPrintable(type), worst, worst_stored);
        QVERIFY2(worst_stored < kStoredTolerance, qPrintable(QStringLiteral("%1").arg(worst_stored)));
    }
};

QTEST_APPLESS_MAIN(TestVulkanQuantizedModels)
#include "test_vulkan_quantized_models.moc"
