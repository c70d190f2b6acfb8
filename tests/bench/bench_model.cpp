// loom-bench-model: whole-model speed of the CPU backend on a model shaped like Qwen2.5-0.5B (hidden 896,
// 24 layers, 14 heads, 2 KV heads, feed-forward 4864, vocabulary 151936, tied embeddings, q/k/v biases),
// with random weights stored in a chosen type: prefill of a 128-token prompt, then decode token by token.
// It runs the engine's real forward pass (model/forward_pass.cpp through the qwen2 architecture), so the
// numbers include attention, norms and the thread pool, not only the matrix kernels of loom-bench-matmul.
//
//   loom-bench-model [--threads N] [--types F16,Q8_0,Q4_0,Q4_K_M] [--prompt 128] [--decode 32] [--repeat 3]
//                    [--cpu-time 1]
//
// --cpu-time 1 (with --threads 1) times by the thread's CPU time, leaving out time the thread was descheduled
// on a machine shared with other work.
//
// Q4_K_M is llama.cpp's mix for this model: 896-wide matrices cannot hold 256-element blocks and fall back
// (Q4_K -> Q5_0, Q6_K -> Q8_0), attn_v and ffn_down use the larger type in about half of the layers (the
// first and last eighth and every third in between), and the tied output/embedding matrix is Q8_0.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "backend/cpu_backend.h"
#include "kernels/convert.h"
#include "model/architecture.h"
#include "model/forward_pass.h"
#include "model/kv_cache.h"
#include "model/weights.h"
#include "util/error.h"
#include "util/thread_pool.h"

using namespace loom;

namespace {

using Clock = std::chrono::steady_clock;

bool g_cpu_time = false;

double now() {
    if (g_cpu_time) {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    }
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

ModelConfig qwen25_05b() {
    ModelConfig c;
    c.architecture = "qwen2";
    c.vocab_size = 151936;
    c.hidden_size = 896;
    c.layers = 24;
    c.heads = 14;
    c.kv_heads = 2;
    c.head_dim = 64;
    c.ffn_size = 4864;
    c.context_length = 32768;
    c.norm_eps = 1e-6f;
    c.rope_theta = 1000000.0;
    c.rotary_dims = 64;
    c.tied_embeddings = true;
    c.qkv_bias = true;
    return c;
}

// llama.cpp's rule for which layers get the larger type in a _M mix.
bool more_bits(int layer, int layers) {
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

// The stored type of weight `id` in `layer` for a model "type" (a DType name or Q4_K_M).
DType type_for(const std::string& model_type, WeightId id, int layer, int layers) {
    if (model_type != "Q4_K_M") return *dtype_from_name(model_type);
    switch (id) {
        case WeightId::TokenEmbedding:
            return DType::Q8_0;
        case WeightId::V:
            return more_bits(layer, layers) ? DType::Q8_0 : DType::Q5_0;
        case WeightId::Down:
            return more_bits(layer, layers) ? DType::Q6_K : DType::Q4_K;
        default:
            return DType::Q5_0;
    }
}

// Random weights N(0, scale^2) (a cheap generator: the values only need to look like weights), stored as
// `type`, rows quantized in parallel.
struct Storage {
    std::vector<std::unique_ptr<std::vector<std::byte>>> buffers;

    std::span<const std::byte> matrix(DType type, int64_t rows, int64_t cols, float scale, uint64_t seed,
                                      ThreadPool& pool) {
        size_t row = row_bytes(type, cols);
        auto& bytes = *buffers.emplace_back(std::make_unique<std::vector<std::byte>>(row * size_t(rows)));
        pool.parallel_for(rows, 64, [&](int64_t begin, int64_t end) {
            std::vector<float> values(static_cast<size_t>(cols));
            for (int64_t r = begin; r < end; ++r) {
                uint64_t state = seed * 0x9E3779B97F4A7C15ull + uint64_t(r) * 0xBF58476D1CE4E5B9ull + 1;
                for (auto& v : values) {
                    float sum = 0.0f;  // Irwin-Hall: sum of 4 uniforms, about normal
                    for (int i = 0; i < 4; ++i) {
                        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
                        sum += float(state >> 40) * (1.0f / 16777216.0f);
                    }
                    v = (sum - 2.0f) * 1.732f * scale;
                }
                row_from_float(type, values.data(), cols, bytes.data() + size_t(r) * row);
            }
        });
        return bytes;
    }

    std::span<const std::byte> vector(int64_t n, float value) {
        auto& bytes = *buffers.emplace_back(std::make_unique<std::vector<std::byte>>(size_t(n) * 4));
        for (int64_t i = 0; i < n; ++i)
            std::memcpy(bytes.data() + i * 4, &value, 4);
        return bytes;
    }
};

TensorSet synthetic_model(const ModelConfig& c, const std::string& model_type, Storage& storage,
                          ThreadPool& pool) {
    const TensorNames& names = find_architecture_by_hf_type("qwen2")->tensor_names();
    TensorSet set;
    uint64_t seed = 1;
    auto add = [&](WeightId id, int layer, std::vector<int64_t> shape, std::span<const std::byte> data,
                   DType type) {
        set.add(StoredTensor{names.name(TensorNames::Scheme::HuggingFace, id, layer), type, std::move(shape),
                             data});
    };
    auto matrix = [&](WeightId id, int layer, int64_t rows, int64_t cols) {
        DType type = type_for(model_type, id, layer, c.layers);
        add(id, layer, {rows, cols}, storage.matrix(type, rows, cols, 0.02f, seed++, pool), type);
    };
    auto vector = [&](WeightId id, int layer, int64_t n, float value) {
        add(id, layer, {n}, storage.vector(n, value), DType::F32);
    };
    matrix(WeightId::TokenEmbedding, 0, c.vocab_size, c.hidden_size);
    vector(WeightId::OutputNorm, 0, c.hidden_size, 1.0f);
    for (int l = 0; l < c.layers; ++l) {
        vector(WeightId::AttnNorm, l, c.hidden_size, 1.0f);
        vector(WeightId::FfnNorm, l, c.hidden_size, 1.0f);
        matrix(WeightId::Q, l, c.q_dim(), c.hidden_size);
        matrix(WeightId::K, l, c.kv_dim(), c.hidden_size);
        matrix(WeightId::V, l, c.kv_dim(), c.hidden_size);
        matrix(WeightId::O, l, c.hidden_size, c.q_dim());
        vector(WeightId::QBias, l, c.q_dim(), 0.01f);
        vector(WeightId::KBias, l, c.kv_dim(), 0.01f);
        vector(WeightId::VBias, l, c.kv_dim(), 0.01f);
        matrix(WeightId::Gate, l, c.ffn_size, c.hidden_size);
        matrix(WeightId::Up, l, c.ffn_size, c.hidden_size);
        matrix(WeightId::Down, l, c.hidden_size, c.ffn_size);
    }
    return set;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        if (comma > start) parts.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return parts;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        int threads = 2, prompt = 128, decode = 32, repeat = 3;
        std::vector<std::string> types = {"F16", "Q8_0", "Q4_0", "Q4_K_M"};
        for (int i = 1; i < argc; ++i) {
            std::string arg = argv[i];
            if (i + 1 >= argc) fail("option ", arg, " needs a value");
            std::string value = argv[++i];
            if (arg == "--threads")
                threads = std::atoi(value.c_str());
            else if (arg == "--types")
                types = split(value);
            else if (arg == "--prompt")
                prompt = std::atoi(value.c_str());
            else if (arg == "--decode")
                decode = std::atoi(value.c_str());
            else if (arg == "--repeat")
                repeat = std::atoi(value.c_str());
            else if (arg == "--cpu-time")
                g_cpu_time = value == "1";
            else
                fail("unknown option ", arg, " (see the comment at the top of bench_model.cpp)");
        }
        if (threads < 1 || prompt < 1 || decode < 1 || repeat < 1) fail("the counts must be at least 1");
        if (g_cpu_time && threads != 1) fail("--cpu-time measures one thread: use it with --threads 1");
        for (const std::string& type : types)
            if (type != "Q4_K_M" && !dtype_from_name(type)) fail("unknown type '", type, "'");

        const ModelConfig config = qwen25_05b();
        const Architecture& arch = *find_architecture_by_hf_type("qwen2");
        auto backend = std::make_shared<CpuBackend>(threads);
        std::printf(
            "%s; Qwen2.5-0.5B shapes, random weights; prompt %d tokens, then %d decoded (medians of %d)\n",
            backend->name().c_str(), prompt, decode, repeat);
        std::printf("%-7s %12s %14s %14s %16s\n", "type", "weights MB", "prefill tok/s", "decode tok/s",
                    "decode GB/s");
        for (const std::string& type : types) {
            Storage storage;
            ThreadPool pool(threads);
            TensorSet tensors = synthetic_model(config, type, storage, pool);
            ModelWeights weights = load_weights(tensors, config, arch.tensor_names(), *backend, {});
            double bytes = 0;  // weights a decode step reads: every matrix once
            for (const LayerWeights& l : weights.layers)
                for (const Tensor* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
                    bytes += double(m->bytes());
            bytes += double(weights.output.bytes());

            KvCache cache(*backend, config, prompt + decode);
            Activations activations(*backend, config, prompt);
            std::vector<int32_t> tokens(static_cast<size_t>(prompt));
            for (int i = 0; i < prompt; ++i)
                tokens[size_t(i)] = (i * 7919) % int32_t(config.vocab_size);
            std::vector<float> logits(static_cast<size_t>(config.vocab_size));
            std::vector<double> prefill_rates, decode_rates;
            for (int r = 0; r < repeat; ++r) {
                double t0 = now();
                {
                    ForwardPass pass(*backend, config, weights, cache, activations, {tokens, 0, true},
                                     nullptr);
                    arch.forward(pass);
                    backend->read(pass.logits(), logits);
                }
                double prefill = now() - t0;
                t0 = now();
                for (int i = 0; i < decode; ++i) {
                    int32_t next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
                    ForwardInput input{std::span<const int32_t>(&next, 1), prompt + i, true};
                    ForwardPass pass(*backend, config, weights, cache, activations, input, nullptr);
                    arch.forward(pass);
                    backend->read(pass.logits(), logits);
                }
                double decoding = now() - t0;
                prefill_rates.push_back(prompt / prefill);
                decode_rates.push_back(decode / decoding);
            }
            double decode_rate = median(decode_rates);
            std::printf("%-7s %12.1f %14.1f %14.1f %16.1f\n", type.c_str(), bytes * 1e-6,
                        median(prefill_rates), decode_rate, bytes * decode_rate * 1e-9);
            std::fflush(stdout);
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loom-bench-model: %s\n", e.what());
        return 1;
    }
}
