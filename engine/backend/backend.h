// The interface every compute backend implements: the CPU (backend/cpu_backend.h) and Vulkan (gpu/).
//
// A backend owns memory for tensors and runs the operations a transformer needs on them. Model code
// (engine/model/) is written once against this interface. Operations may run asynchronously (a GPU backend
// records them into a command buffer): results become visible to the host through read(), which waits for
// everything issued before it.
//
// Shapes in comments are [rows, cols]; every activation row is one token.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "tensor/tensor.h"

namespace loom {

// Rotary position embedding, applied in place to every head of every row; row i has position pos0 + i.
struct RopeOptions {
    int heads = 0;
    int head_dim = 0;
    int rotary_dims = 0;       // leading dimensions of each head that rotate (= head_dim unless partial)
    bool interleaved = false;  // pairs (2i, 2i+1) as in GGUF llama; else (i, i + rotary_dims/2) as in HF
    Tensor inv_freq;           // [1, rotary_dims / 2] F32: angle per position of each pair
    int64_t pos0 = 0;
};

// Causal self-attention of n new tokens (positions pos0 .. pos0+n-1) over the cache, which already holds
// their keys and values at rows pos0 .. pos0+n-1. Query head h reads KV head h / (heads / kv_heads).
struct AttentionOptions {
    Tensor q;        // [n, heads * head_dim]
    Tensor k_cache;  // [context, kv_heads * head_dim]
    Tensor v_cache;  // [context, kv_heads * head_dim]
    Tensor out;      // [n, heads * head_dim]
    int heads = 0;
    int kv_heads = 0;
    int head_dim = 0;
    int64_t pos0 = 0;
    float scale = 1.0f;  // usually 1 / sqrt(head_dim)
    // When not empty: [heads * n, pos0 + n] F32, row (h * n + i) receives the softmax probabilities of head
    // h for token i over positions 0 .. pos0+n-1 (zeros after the token's own position).
    Tensor probs;
};

// One product of a shared input (Backend::project): out = x . weight^T, plus bias on every row when the
// bias is not empty.
struct Projection {
    Tensor weight;
    Tensor bias;
    Tensor out;
};

// What a model needs of a backend's memory (Backend::check_model_fits): its weights, and one conversation
// (Session::memory_bytes: the KV cache and scratch tensors of a context of session_tokens).
struct ModelFootprint {
    uint64_t weight_bytes = 0;
    uint64_t session_bytes = 0;
    int64_t session_tokens = 0;

    uint64_t total() const { return weight_bytes + session_bytes; }
    // "the model's weights need 1.2 GiB and a conversation of 4096 tokens 96 MiB more"
    std::string text() const;
};

struct HostTensor {
    DType dtype = DType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    std::span<const std::byte> bytes;  // rows * row_bytes(dtype, cols) bytes, needed only during upload()
};

class Backend {
  public:
    virtual ~Backend() = default;

    // For display: "CPU, AVX-512, 2 threads", "Vulkan: NVIDIA H200 (driver ...)".
    virtual std::string name() const = 0;

    // Bytes per second this backend reads from its memory (over buffers far larger than any cache, as
    // decode streams its weights), measured now in about a second. Benchmarks set decode speed against
    // it: a decoded token reads every weight once.
    virtual double measure_memory_bandwidth() = 0;

    // --- memory ---
    // Called by the weight loader before it uploads a model. Throws Error (a DeviceFailure on a GPU), naming
    // the sizes, when the weights and one conversation cannot fit, so that a model too large is refused
    // before anything is copied. (Further conversations are checked as they are allocated.)
    virtual void check_model_fits(const ModelFootprint& footprint) = 0;
    // A tensor holding a copy of `host`'s data, in the layout this backend's kernels want.
    virtual Tensor upload(const HostTensor& host) = 0;
    // A zero-filled tensor for activations or caches.
    virtual Tensor allocate(DType dtype, int64_t rows, int64_t cols) = 0;
    // Copies a tensor to the host as F32 (dequantizing if needed), waiting for pending work first.
    virtual void read(const Tensor& tensor, std::span<float> out) = 0;
    // Overwrites a F32 tensor from the host.
    virtual void write(const Tensor& tensor, std::span<const float> values) = 0;
    // Copies src's rows into dst starting at row dst_row (both F32, or both of the cache type).
    virtual void copy_rows(const Tensor& src, const Tensor& dst, int64_t dst_row) = 0;

    // --- operations (outputs last) ---
    // out[i] = table[tokens[i]] as F32.
    virtual void embed(const Tensor& table, std::span<const int32_t> tokens, const Tensor& out) = 0;
    // y[n, m] = x[n, k] . w[m, k]^T, w of any weight type, x and y F32.
    virtual void matmul(const Tensor& x, const Tensor& w, const Tensor& y) = 0;
    // y[i] += bias[0] for every row i.
    virtual void add_bias(const Tensor& y, const Tensor& bias) = 0;
    // matmul, then add_bias: a GPU backend does both in one pass (one kernel launch less per projection).
    virtual void matmul_bias(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) {
        matmul(x, w, y);
        add_bias(y, bias);
    }
    // Several products of the same input, such as a layer's q, k and v projections. The CPU backend converts
    // x once and hands the rows of all the matrices to its threads as one job: one token's k and v
    // projections alone are too small to share between cores.
    //
    // `next` names the weights of the projection the forward pass runs after this one (empty when none
    // follows). The CPU backend's threads read the start of their share of them while they wait, for the
    // others' last rows of this one and for the work in between (attention, norms) that one thread does.
    virtual void project(const Tensor& x, std::span<const Projection> products,
                         std::span<const Tensor> next) {
        (void)next;
        for (const Projection& p : products) {
            if (p.bias.empty())
                matmul(x, p.weight, p.out);
            else
                matmul_bias(x, p.weight, p.bias, p.out);
        }
    }
    // y += x, same shapes.
    virtual void add(const Tensor& y, const Tensor& x) = 0;
    // y[i] = rms_norm(x[i]) * weight[0].
    virtual void rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& y) = 0;
    // x += delta, then y = rms_norm(x) * weight: the residual stream's add and the next block's norm, which
    // a GPU backend does in one pass (one dependent kernel less per block).
    virtual void add_rms_norm(const Tensor& x, const Tensor& delta, const Tensor& weight, float eps,
                              const Tensor& y) {
        add(x, delta);
        rms_norm(x, weight, eps, y);
    }
    // y[i] = layer_norm(x[i]) * weight[0] + bias[0] (bias may be empty).
    virtual void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                            const Tensor& y) = 0;
    virtual void rope(const Tensor& x, const RopeOptions& options) = 0;
    // out = silu(gate) * up, element-wise.
    virtual void swiglu(const Tensor& gate, const Tensor& up, const Tensor& out) = 0;
    virtual void attention(const AttentionOptions& options) = 0;
};

}  // namespace loom
