// Whole forward passes on the Vulkan backend against the CPU backend: the reference models of
// tests/data/reference/ (Llama with GQA, Llama 3 RoPE scaling, Qwen2 with q/k/v biases; F32 and BF16)
// through the engine's model code (weights, KV cache, ForwardPass, llama_family_forward), and stories260K.
// Logits and every captured hidden state and attention map agree within 1e-4 (normalised), and greedy
// decoding picks the same tokens, which are also the golden ones computed by the PyTorch reference.
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <map>

#include "backend/cpu_backend.h"
#include "formats/json_fields.h"
#include "formats/safetensors.h"
#include "gpu_test_support.h"
#include "model/architecture.h"
#include "model/forward_pass.h"
#include "util/error.h"

using namespace loom;
using namespace loom::test;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-4;

struct ModelFiles {
    const Architecture* architecture = nullptr;
    ModelConfig config;
    TensorSet tensors;
};

ModelFiles read_model(const fs::path& folder) {
    ModelFiles files;
    nlohmann::json json = read_json_file(folder / "config.json");
    JsonFields fields(json, (folder / "config.json").string());
    files.architecture = find_architecture_by_hf_type(fields.string("model_type"));
    if (!files.architecture) throw Error("unknown architecture in " + folder.string());
    files.config = files.architecture->config_from_hf(fields);
    files.config.architecture = std::string(files.architecture->name);
    files.config.validate();
    files.tensors = read_safetensors_folder(folder);
    return files;
}

using CaptureKey = std::pair<Tap, int>;
using Captures = std::map<CaptureKey, std::vector<float>>;

// A model on one backend, with its cache and scratch tensors, run as the engine's sessions run it.
class Runner {
  public:
    Runner(Backend& backend, const ModelFiles& model, int64_t max_tokens)
        : backend_(backend),
          model_(model),
          weights_(
              load_weights(model.tensors, model.config, model.architecture->tensor_names(), backend, {})),
          cache_(backend, model.config, 256),
          activations_(backend, model.config, max_tokens) {}

    // Runs `tokens` from position pos0 in batches of at most max_tokens; returns the last logits. With
    // `captures`, appends every hidden state, attention map and logits row to it.
    std::vector<float> run(std::span<const int32_t> tokens, int64_t pos0, Captures* captures = nullptr) {
        CapturePlan plan;
        plan.hidden_states = LayerSelection::every();
        plan.attention = LayerSelection::every();
        plan.logits = true;
        std::optional<CaptureHook> hook;
        if (captures)
            hook.emplace(
                plan,
                [&](const Captured& c) {
                    auto& values = (*captures)[{c.tap, c.layer}];
                    values.insert(values.end(), c.values.begin(), c.values.end());
                },
                model_.config.layers);
        std::vector<float> logits(static_cast<size_t>(model_.config.vocab_size));
        for (size_t start = 0; start < tokens.size(); start += size_t(activations_.max_tokens)) {
            size_t count = std::min(tokens.size() - start, size_t(activations_.max_tokens));
            ForwardInput input{tokens.subspan(start, count), pos0 + int64_t(start), true};
            ForwardPass pass(backend_, model_.config, weights_, cache_, activations_, input,
                             hook ? &*hook : nullptr);
            model_.architecture->forward(pass);
            backend_.read(pass.logits(), logits);
        }
        return logits;
    }

  private:
    Backend& backend_;
    const ModelFiles& model_;
    ModelWeights weights_;
    KvCache cache_;
    Activations activations_;
};

int32_t argmax(const std::vector<float>& logits) {
    return int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace

class TestVulkanForward : public QObject {
    Q_OBJECT

    CpuBackend cpu_{2};
    std::unique_ptr<Backend> gpu_;
    std::unique_ptr<Backend> gpu_layouts_;  // cpu_device_layouts off

    void compare(const std::vector<float>& got, const std::vector<float>& want, const QString& what) {
        double error = relative_error(got, want);
        QVERIFY2(error < kTolerance,
                 qPrintable(QStringLiteral("%1: relative error %2").arg(what).arg(error)));
    }

  private slots:
    void initTestCase() {
        gpu_ = make_vulkan_backend({});
        VulkanOptions gpu_layouts;
        gpu_layouts.cpu_device_layouts = false;  // on lavapipe too, the kernel layouts a GPU gets
        gpu_layouts_ = make_vulkan_backend(gpu_layouts);
    }

    void referenceModels_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("max_tokens");
        QTest::addColumn<bool>("gpu_layouts");
        for (const char* model : {"llama-gqa-f32", "llama-gqa-bf16", "llama3-rope-scaling-f32",
                                  "qwen2-bias-f32", "qwen2-bias-bf16"}) {
            QTest::addRow("%s whole prompt", model) << QString(model) << 64 << false;
            QTest::addRow("%s chunks of 16", model) << QString(model) << 16 << false;  // prefill at pos0 > 0
        }
        // (Slow on lavapipe: two models are enough to cover them.)
        for (const char* model : {"llama-gqa-f32", "qwen2-bias-bf16"})
            QTest::addRow("%s GPU kernel layouts", model) << QString(model) << 64 << true;
    }

    void referenceModels() {
        QFETCH(QString, model);
        QFETCH(int, max_tokens);
        QFETCH(bool, gpu_layouts);
        fs::path folder = fs::path(LOOM_TEST_DATA_DIR) / "reference" / model.toStdString();
        ModelFiles files = read_model(folder);
        nlohmann::json golden = read_json_file(folder / "golden.json");

        for (const nlohmann::json& prompt : golden["prompts"]) {
            std::vector<int32_t> ids = prompt["input_ids"].get<std::vector<int32_t>>();
            std::vector<int32_t> golden_next = prompt["greedy_next_ids"].get<std::vector<int32_t>>();
            QString name = QString::fromStdString(prompt["name"].get<std::string>());
            Runner on_cpu(cpu_, files, max_tokens),
                on_gpu(gpu_layouts ? *gpu_layouts_ : *gpu_, files, max_tokens);

            Captures cpu_captures, gpu_captures;
            std::vector<float> cpu_logits = on_cpu.run(ids, 0, &cpu_captures);
            std::vector<float> gpu_logits = on_gpu.run(ids, 0, &gpu_captures);
            QCOMPARE(gpu_captures.size(), cpu_captures.size());
            for (const auto& [key, values] : cpu_captures)
                compare(gpu_captures[key], values,
                        QStringLiteral("%1 %2 layer %3")
                            .arg(name, QString::fromUtf8(tap_name(key.first).data()))
                            .arg(key.second));

            // Greedy decoding, one token at a time.
            int64_t position = int64_t(ids.size());
            for (size_t step = 0; step < golden_next.size(); ++step, ++position) {
                compare(gpu_logits, cpu_logits, QStringLiteral("%1 logits at step %2").arg(name).arg(step));
                int32_t next = argmax(cpu_logits);
                QCOMPARE(argmax(gpu_logits), next);
                QCOMPARE(next, golden_next[step]);
                cpu_logits = on_cpu.run(std::span(&next, 1), position);
                gpu_logits = on_gpu.run(std::span(&next, 1), position);
            }
        }
    }

    // A model larger than the device's memory (here: than a limit set for it) is refused by load_weights()
    // before any of it is uploaded, with both sizes in the message.
    void refusesAModelThatDoesNotFit() {
        ModelFiles files = read_model(fs::path(LOOM_TEST_DATA_DIR) / "reference" / "llama-gqa-f32");
        VulkanOptions options;
        options.memory_limit_bytes = 256 << 10;
        std::unique_ptr<Backend> small = make_vulkan_backend(options);
        try {
            load_weights(files.tensors, files.config, files.architecture->tensor_names(), *small, {});
            QFAIL("a model larger than the memory limit was loaded");
        } catch (const Error& e) {
            std::string message = e.what();
            QVERIFY2(message.find("the model's weights need 738 KiB") != std::string::npos, e.what());
            QVERIFY2(message.find("256 KiB") != std::string::npos, e.what());
        }
    }

    // The built-in model: 60 greedy tokens from BOS, identical on both backends.
    void stories260K() {
        ModelFiles files = read_model(fs::path(LOOM_RESOURCES_DIR) / "models" / "stories260K");
        Runner on_cpu(cpu_, files, 8), on_gpu(*gpu_, files, 8);
        std::vector<int32_t> cpu_tokens = {1}, gpu_tokens = {1};  // each backend follows its own choices
        for (int64_t position = 0; position < 60; ++position) {
            std::vector<float> cpu_logits = on_cpu.run(std::span(&cpu_tokens.back(), 1), position);
            std::vector<float> gpu_logits = on_gpu.run(std::span(&gpu_tokens.back(), 1), position);
            compare(gpu_logits, cpu_logits, QStringLiteral("logits at position %1").arg(position));
            cpu_tokens.push_back(argmax(cpu_logits));
            gpu_tokens.push_back(argmax(gpu_logits));
        }
        QCOMPARE(gpu_tokens, cpu_tokens);
        // Not a degenerate run: the story uses many different tokens.
        std::sort(cpu_tokens.begin(), cpu_tokens.end());
        QVERIFY(std::unique(cpu_tokens.begin(), cpu_tokens.end()) - cpu_tokens.begin() > 15);
    }
};

QTEST_APPLESS_MAIN(TestVulkanForward)
#include "test_vulkan_forward.moc"
