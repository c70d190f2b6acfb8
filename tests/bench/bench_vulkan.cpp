// loom-bench-vulkan: prefill and decode speed of the engine's forward pass on the Vulkan backend (and, with
// --cpu, on the CPU backend beside it), for a Llama-shaped model with random weights of a given shape.
//
//   loom-bench-vulkan [--hidden 2048] [--layers 16] [--heads 32] [--kv-heads 8] [--ffn 8192] [--vocab 32000]
//                     [--type f16] [--prompt 128] [--decode 32] [--device N] [--cpu]
//
// Weights are random, so the numbers say nothing of a model's output, only of its speed. On a software
// device (lavapipe) they are only a smoke test.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "backend/cpu_backend.h"
#include "gpu/vulkan_backend.h"
#include "kernels/convert.h"
#include "model/architecture.h"
#include "model/forward_pass.h"
#include "util/error.h"
#include "util/half.h"

using namespace loom;

namespace {

struct BenchOptions {
    ModelConfig config;
    DType type = DType::F16;
    int64_t prompt = 128;
    int64_t decode = 32;
    int device = -1;
    bool cpu = false;
};

BenchOptions parse(int argc, char** argv) {
    std::map<std::string, std::string> args;
    bool cpu = false;
    for (int i = 1; i < argc; ++i) {
        std::string key = argv[i];
        if (key == "--cpu") {
            cpu = true;
        } else if (key.starts_with("--") && i + 1 < argc) {
            args[key.substr(2)] = argv[++i];
        } else {
            fail("unexpected argument '", key, "' (see the comment at the top of bench_vulkan.cpp)");
        }
    }
    auto number = [&](const char* name, int64_t fallback) -> int64_t {
        auto it = args.find(name);
        if (it == args.end()) return fallback;
        try {
            size_t used = 0;
            int64_t value = std::stoll(it->second, &used);
            if (used == it->second.size() && value >= 0) {
                args.erase(it);
                return value;
            }
        } catch (const std::exception&) {
        }
        fail("--", name, " takes a non-negative whole number, not '", it->second, "'");
    };
    BenchOptions o;
    ModelConfig& c = o.config;
    c.architecture = "llama";
    c.hidden_size = number("hidden", 2048);
    c.layers = static_cast<int>(number("layers", 16));
    c.heads = static_cast<int>(number("heads", 32));
    c.kv_heads = static_cast<int>(number("kv-heads", 8));
    c.ffn_size = number("ffn", 8192);
    c.vocab_size = number("vocab", 32000);
    o.prompt = number("prompt", 128);
    o.decode = number("decode", 32);
    o.device = static_cast<int>(number("device", -1));
    o.cpu = cpu;
    if (c.heads <= 0 || c.hidden_size % c.heads != 0) fail("--hidden must be a multiple of --heads");
    c.head_dim = static_cast<int>(c.hidden_size / c.heads);
    c.rotary_dims = c.head_dim;
    c.context_length = o.prompt + o.decode + 16;
    if (auto it = args.find("type"); it != args.end()) {
        auto type = dtype_from_name(it->second);
        if (!type) fail("unknown --type '", it->second, "'");
        o.type = *type;
        args.erase(it);
    }
    if (!args.empty()) fail("unknown option --", args.begin()->first);
    if (o.prompt == 0 || o.decode == 0) fail("--prompt and --decode must be at least 1");
    c.validate();
    return o;
}

// A [rows, cols] matrix of `type` with random values of about `scale`.
Tensor random_matrix(Backend& backend, DType type, int64_t rows, int64_t cols, float scale,
                     std::mt19937& random) {
    std::uniform_real_distribution<float> uniform(-scale, scale);
    std::vector<float> row(static_cast<size_t>(cols));
    auto bytes = std::make_shared<std::vector<std::byte>>(static_cast<size_t>(rows) * row_bytes(type, cols));
    const size_t stride = row_bytes(type, cols);
    for (int64_t r = 0; r < rows; ++r) {
        std::byte* out = bytes->data() + static_cast<size_t>(r) * stride;
        if (type == DType::Q8_0 || type == DType::Q4_0) {
            // Random blocks: a scale, then random quantized values (the meaning of the numbers is
            // irrelevant).
            const size_t block = dtype_info(type).block_bytes;
            for (size_t b = 0; b < stride / block; ++b) {
                uint16_t d = float_to_fp16(scale / 64.0f);
                std::memcpy(out + b * block, &d, 2);
                for (size_t i = 2; i < block; ++i)
                    out[b * block + i] = static_cast<std::byte>(random());
            }
        } else {
            for (float& v : row)
                v = uniform(random);
            row_from_float(type, row.data(), cols, out);
        }
    }
    return backend.upload(HostTensor{type, rows, cols, std::span<const std::byte>(*bytes)});
}

ModelWeights random_weights(Backend& backend, const ModelConfig& c, DType type) {
    std::mt19937 random(1);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.hidden_size));
    auto vector = [&](int64_t n) {
        Tensor t = backend.allocate(DType::F32, 1, n);
        backend.write(t, std::vector<float>(static_cast<size_t>(n), 1.0f));
        return t;
    };
    ModelWeights w;
    w.token_embedding = random_matrix(backend, type, c.vocab_size, c.hidden_size, 1.0f, random);
    for (int l = 0; l < c.layers; ++l) {
        LayerWeights layer;
        layer.attn_norm = vector(c.hidden_size);
        layer.ffn_norm = vector(c.hidden_size);
        layer.wq = random_matrix(backend, type, c.q_dim(), c.hidden_size, scale, random);
        layer.wk = random_matrix(backend, type, c.kv_dim(), c.hidden_size, scale, random);
        layer.wv = random_matrix(backend, type, c.kv_dim(), c.hidden_size, scale, random);
        layer.wo = random_matrix(backend, type, c.hidden_size, c.q_dim(), scale, random);
        layer.w_gate = random_matrix(backend, type, c.ffn_size, c.hidden_size, scale, random);
        layer.w_up = random_matrix(backend, type, c.ffn_size, c.hidden_size, scale, random);
        layer.w_down = random_matrix(backend, type, c.hidden_size, c.ffn_size, scale, random);
        w.layers.push_back(layer);
    }
    w.output_norm = vector(c.hidden_size);
    w.output = random_matrix(backend, type, c.vocab_size, c.hidden_size, scale, random);
    std::vector<float> inv_freq = rope_inv_freq(c);
    w.rope_inv_freq = backend.allocate(DType::F32, 1, static_cast<int64_t>(inv_freq.size()));
    backend.write(w.rope_inv_freq, inv_freq);
    return w;
}

uint64_t weight_bytes(const ModelConfig& c, DType type) {
    auto matrix = [&](int64_t rows, int64_t cols) {
        return static_cast<uint64_t>(rows) * row_bytes(type, cols);
    };
    uint64_t layer = matrix(c.q_dim(), c.hidden_size) + 2 * matrix(c.kv_dim(), c.hidden_size) +
                     matrix(c.hidden_size, c.q_dim()) + 3 * matrix(c.ffn_size, c.hidden_size);
    return 2 * matrix(c.vocab_size, c.hidden_size) + static_cast<uint64_t>(c.layers) * layer;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void bench(Backend& backend, const BenchOptions& o) {
    const ModelConfig& c = o.config;
    std::printf("%s\n", backend.name().c_str());
    backend.check_model_fits({weight_bytes(c, o.type)});
    ModelWeights weights = random_weights(backend, c, o.type);
    KvCache cache(backend, c, c.context_length);
    Activations activations(backend, c, o.prompt);
    std::vector<float> logits(static_cast<size_t>(c.vocab_size));
    std::vector<int32_t> prompt(static_cast<size_t>(o.prompt));
    for (size_t i = 0; i < prompt.size(); ++i)
        prompt[i] = static_cast<int32_t>((i * 7919 + 1) % c.vocab_size);

    auto forward = [&](std::span<const int32_t> tokens, int64_t pos0) {
        ForwardPass pass(backend, c, weights, cache, activations, ForwardInput{tokens, pos0, true}, nullptr);
        llama_family_forward(pass);
        backend.read(pass.logits(), logits);  // waits for the GPU, as sampling does
        return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    };
    // Warm-up: the first use of each kernel compiles it.
    forward(std::span(prompt).first(std::min<size_t>(prompt.size(), 9)), 0);
    forward(std::span(prompt).first(1), 0);

    auto start = std::chrono::steady_clock::now();
    int32_t token = forward(prompt, 0);
    double prefill = seconds_since(start);
    start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < o.decode; ++i)
        token = forward(std::span(&token, 1), o.prompt + i);
    double decode = seconds_since(start);

    // A decode step reads every matrix once, except the embedding table, of which it reads one row.
    uint64_t embedding = static_cast<uint64_t>(c.vocab_size) * row_bytes(o.type, c.hidden_size);
    double gb_per_token = static_cast<double>(weight_bytes(c, o.type) - embedding) / 1e9;
    std::printf("  prefill: %lld tokens in %.3f s = %.1f tokens/s\n", static_cast<long long>(o.prompt),
                prefill, static_cast<double>(o.prompt) / prefill);
    std::printf("  decode:  %lld tokens in %.3f s = %.2f tokens/s (%.2f GB/s of weights)\n",
                static_cast<long long>(o.decode), decode, static_cast<double>(o.decode) / decode,
                gb_per_token * static_cast<double>(o.decode) / decode);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        BenchOptions o = parse(argc, argv);
        const ModelConfig& c = o.config;
        std::printf(
            "model: hidden %lld, %d layers, %d heads (%d KV), ffn %lld, vocab %lld, %s weights: %.1f MiB\n",
            static_cast<long long>(c.hidden_size), c.layers, c.heads, c.kv_heads,
            static_cast<long long>(c.ffn_size), static_cast<long long>(c.vocab_size),
            std::string(dtype_name(o.type)).c_str(),
            static_cast<double>(weight_bytes(c, o.type)) / (1 << 20));
        VulkanOptions vulkan;
        vulkan.device_index = o.device;
        bench(*make_vulkan_backend(vulkan), o);
        if (o.cpu) {
            CpuBackend cpu(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
            bench(cpu, o);
        }
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "loom-bench-vulkan: %s\n", e.what());
        return 1;
    }
}
