// When the GPU fails while a model runs on it, a session moves to the CPU and goes on (model/session.h,
// gpu/backend_choice.h). The failures here are real ones of the Vulkan backend on lavapipe, not simulated:
// attention over a cache longer than the device can bind at once (an operation the backend lacks), and a
// conversation whose cache no longer fits the GPU memory Loom may use.
#include <QtTest>

#include <set>
#include <string>

#include "api/builtin_model.h"
#include "api/generate.h"
#include "gpu/backend_choice.h"
#include "model/session.h"
#include "util/error.h"

using namespace loom;

namespace {

// The built-in model (stories260K: keys of 4 heads x 8 dimensions, 128 bytes a position) on lavapipe.
LoadedModel load_on_gpu(const VulkanOptions& vulkan) {
    LoadOptions options;
    options.model = builtin_model_path().string();
    BackendRequest request;
    request.kind = BackendKind::Vulkan;
    request.vulkan = vulkan;
    return loom::load_model(options, request);
}

std::shared_ptr<Model> load_on_cpu() {
    LoadOptions options;
    options.model = builtin_model_path().string();
    options.threads = 1;
    return Model::load(options);
}

bool on_cpu(const Model& model) {
    return model.backend().name().rfind("CPU", 0) == 0;
}

std::vector<int32_t> greedy_tokens(Session& session, int count, const GenerateOptions& base = {}) {
    GenerateOptions options = base;
    options.sampling.temperature = 0;
    options.max_tokens = count;
    options.stop_at_end_of_generation = false;
    std::vector<int32_t> tokens;
    const int32_t bos = *session.model().tokenizer().special().bos;
    generate(session, std::vector<int32_t>{bos}, options, [&](const GeneratedToken& token) {
        tokens.push_back(token.id);
        return true;
    });
    return tokens;
}

// Moves a session to the CPU (once), keeping what the failure said.
struct Fallback {
    std::function<std::shared_ptr<Model>()> load;
    std::shared_ptr<Model> cpu;
    std::vector<std::string> failures;

    SessionOptions session_options() {
        SessionOptions options;
        options.on_device_failure = [this](const DeviceFailure& failure) -> std::shared_ptr<const Model> {
            failures.push_back(failure.what());
            if (!cpu) cpu = load();
            return cpu;
        };
        return options;
    }
};

}  // namespace

class TestDeviceFallback : public QObject {
    Q_OBJECT

  private slots:
    void aReplyGoesOnOnTheCpuWhenAttentionOutgrowsTheGpu() {
        // 4 KiB bindings: the GPU's attention reads about 32 positions of the cache at most, so a little past
        // position 30 the Vulkan backend cannot go on. The reply does, on the CPU, with the text the CPU
        // alone gives.
        VulkanOptions vulkan;
        vulkan.max_binding_bytes = 4096;
        LoadedModel loaded = load_on_gpu(vulkan);
        QVERIFY2(loaded.note.empty(), loaded.note.c_str());
        QVERIFY(!on_cpu(*loaded.model));
        QVERIFY(loaded.load_on_cpu);

        Fallback fallback{loaded.load_on_cpu, nullptr, {}};
        Session session(loaded.model, fallback.session_options());
        // With every hidden state captured: positions evaluated on the GPU, and again on the CPU, all
        // arrive, each once per evaluation that produced it.
        std::set<int64_t> captured;
        GenerateOptions options;
        options.capture.hidden_states = LayerSelection::only({0});
        options.capture_sink = [&](const Captured& c) {
            for (int64_t t = 0; t < c.tokens; ++t)
                captured.insert(c.pos0 + t);
        };
        std::vector<int32_t> tokens = greedy_tokens(session, 60, options);

        QCOMPARE(fallback.failures.size(), size_t{1});
        QVERIFY2(
            fallback.failures[0].find("exceeds what the Vulkan device can bind at once") != std::string::npos,
            fallback.failures[0].c_str());
        QVERIFY(on_cpu(session.model()));
        QCOMPARE(tokens.size(), size_t{60});
        QCOMPARE(captured.size(), size_t{61});  // the BOS and 60 tokens (the last one's is evaluated too)

        Session reference(load_on_cpu());
        QCOMPARE(tokens, greedy_tokens(reference, 60));
    }

    void withoutAFallbackTheFailureReachesTheCaller() {
        VulkanOptions vulkan;
        vulkan.max_binding_bytes = 4096;
        LoadedModel loaded = load_on_gpu(vulkan);
        Session session(loaded.model);
        QVERIFY_THROWS_EXCEPTION(DeviceFailure, greedy_tokens(session, 60));
    }

    void aNewConversationGoesToTheCpuWhenGpuMemoryRunsOut() {
        // Room for the weights and about one and a half conversations: the first conversation's cache is
        // made on the GPU, the second one's cannot be, and that conversation runs on the CPU from its start.
        const std::shared_ptr<Model> cpu = load_on_cpu();
        const SessionOptions defaults;
        const uint64_t session_bytes = Session::memory_bytes(cpu->config(), defaults);
        VulkanOptions vulkan;
        vulkan.memory_limit_bytes = cpu->weight_bytes() + session_bytes * 3 / 2;
        LoadedModel loaded = load_on_gpu(vulkan);
        QVERIFY2(loaded.note.empty(), loaded.note.c_str());

        Fallback fallback{loaded.load_on_cpu, nullptr, {}};
        Session first(loaded.model, fallback.session_options());
        QVERIFY(!on_cpu(first.model()));
        Session second(loaded.model, fallback.session_options());
        QCOMPARE(fallback.failures.size(), size_t{1});
        QVERIFY2(fallback.failures[0].find("of the GPU's memory") != std::string::npos,
                 fallback.failures[0].c_str());
        QVERIFY(on_cpu(second.model()));
        QVERIFY(!on_cpu(first.model()));

        Session reference(cpu);
        const std::vector<int32_t> expected = greedy_tokens(reference, 20);
        QCOMPARE(greedy_tokens(second, 20), expected);
        QCOMPARE(greedy_tokens(first, 20), expected);
    }

    void aModelWithNoRoomForAConversationIsRefusedBeforeUpload() {
        // The weights alone would fit; with the cache of one conversation they do not: the model goes to the
        // CPU at load, saying so with both sizes.
        const std::shared_ptr<Model> cpu = load_on_cpu();
        VulkanOptions vulkan;
        vulkan.memory_limit_bytes = cpu->weight_bytes() + (64 << 10);
        LoadedModel loaded = load_on_gpu(vulkan);
        QVERIFY(on_cpu(*loaded.model));
        QVERIFY(!loaded.load_on_cpu);
        QVERIFY2(loaded.note.find("and a conversation of 512 tokens") != std::string::npos,
                 loaded.note.c_str());
    }
};

QTEST_GUILESS_MAIN(TestDeviceFallback)
#include "test_device_fallback.moc"
