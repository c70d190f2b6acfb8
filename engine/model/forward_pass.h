// One run of a decoder-only transformer over a batch of new tokens, and the blocks that architectures
// compose their forward pass from (norm, self-attention, gated feed-forward, output head).
//
// Each block names its intermediates and passes them to tap(), the single capture hook: with nothing
// requested it is one bit test per tensor. Architectures (engine/model/arch/) write their layer loop with
// these blocks and express their differences as data in ModelConfig and ModelWeights.
#pragma once

#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/capture.h"
#include "model/kv_cache.h"
#include "model/model_config.h"
#include "model/step_times.h"
#include "model/weights.h"

namespace loom {

// A CapturePlan resolved against a model's layer count, with the sink that receives captured tensors.
class CaptureHook {
  public:
    CaptureHook(const CapturePlan& plan, CaptureSink sink, int layers);

    bool wants(Tap tap, int layer) const {
        return (masks_[static_cast<size_t>(layer + 1)] >> static_cast<unsigned>(tap)) & 1u;
    }
    bool wants_all_rows_of_head() const { return wants(Tap::Logits, -1) || wants(Tap::FinalNorm, -1); }
    void deliver(Backend& backend, Tap tap, int layer, const Tensor& tensor, int64_t pos0, int64_t tokens);

  private:
    std::vector<uint32_t> masks_;  // per layer + 1 (index 0 is "layer -1": final norm, logits)
    CaptureSink sink_;
    std::vector<float> buffer_;
};

// Scratch tensors for up to `max_tokens` tokens per forward call, reused from call to call.
struct Activations {
    Activations(Backend& backend, const ModelConfig& config, int64_t max_tokens);
    // What the tensors made by the constructor take on a backend, before alignment.
    static uint64_t bytes(const ModelConfig& config, int64_t max_tokens);

    int64_t max_tokens;
    Tensor x;        // [max_tokens, hidden]  the residual stream
    Tensor normed;   // [max_tokens, hidden]
    Tensor q;        // [max_tokens, heads * head_dim]
    Tensor attn;     // [max_tokens, heads * head_dim]
    Tensor proj;     // [max_tokens, hidden]
    Tensor gate;     // [max_tokens, ffn]
    Tensor up;       // [max_tokens, ffn]
    Tensor act;      // [max_tokens, ffn]
    Tensor ffn_out;  // [max_tokens, hidden]
    Tensor logits;   // [1, vocab]; a bigger one is made when every position's logits are wanted
    Tensor probs;    // attention probabilities, made when first captured
};

struct ForwardInput {
    std::span<const int32_t> tokens;  // the new tokens, at most Activations::max_tokens
    int64_t pos0 = 0;                 // position of the first one; the cache holds positions before it
    bool logits = true;               // false for the first chunks of a long prompt: skip the output head
    StepTimes* times = nullptr;       // where to add the time of each step, if anywhere
};

class ForwardPass {
  public:
    ForwardPass(Backend& backend, const ModelConfig& config, const ModelWeights& weights, KvCache& cache,
                Activations& activations, const ForwardInput& input, CaptureHook* capture);

    const ModelConfig& config() const { return config_; }
    const ModelWeights& weights() const { return weights_; }

    // --- blocks ---
    Tensor embed_tokens();  // [n, hidden]
    // RMSNorm or LayerNorm (config.norm) of x into the shared `normed` buffer.
    Tensor norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tap tap, int layer);
    // Projections (+ biases), RoPE, cache update, causal attention and output projection.
    Tensor self_attention(const Tensor& normed, const LayerWeights& w, int layer);
    // down(silu(gate(x)) * up(x))
    Tensor gated_ffn(const Tensor& normed, const LayerWeights& w, int layer);
    void add_residual(const Tensor& x, const Tensor& delta) { backend_.add(x, delta); }
    // add_residual(x, delta), then norm(x, ...), in one pass where the backend can.
    Tensor add_residual_and_norm(const Tensor& x, const Tensor& delta, const Tensor& weight,
                                 const Tensor& bias, Tap tap, int layer);
    // Final norm and the logits of the last token (of every token when they are captured).
    Tensor output_head(const Tensor& x);
    // The last token's logits [1, vocab], once output_head() has run.
    const Tensor& logits() const { return logits_; }

    // The capture hook, which also ends a step for the step timer.
    void tap(Tap tap, int layer, const Tensor& tensor) {
        if (times_) times_->mark(tap);
        if (capture_ && capture_->wants(tap, layer)) {
            capture_->deliver(backend_, tap, layer, tensor, pos0_, n_);
            if (times_) times_->mark_capture();
        }
    }

  private:
    Backend& backend_;
    const ModelConfig& config_;
    const ModelWeights& weights_;
    KvCache& cache_;
    Activations& act_;
    std::span<const int32_t> tokens_;
    int64_t pos0_;
    int64_t n_;
    CaptureHook* capture_;
    StepTimes* times_;
    bool want_logits_;
    Tensor logits_;
};

}  // namespace loom
