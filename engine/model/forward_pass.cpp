#include "model/forward_pass.h"

#include <array>
#include <cmath>

#include "util/error.h"

namespace loom {

CaptureHook::CaptureHook(const CapturePlan& plan, CaptureSink sink, int layers)
    : masks_(static_cast<size_t>(layers) + 2, 0u), sink_(std::move(sink)) {
    auto select = [&](Tap tap, const LayerSelection& selection, int count) {
        std::vector<bool> chosen = selection.resolve(count, tap_name(tap));
        for (int l = 0; l < count; ++l)
            if (chosen[static_cast<size_t>(l)])
                masks_[static_cast<size_t>(l) + 1] |= 1u << static_cast<unsigned>(tap);
    };
    select(Tap::Residual, plan.hidden_states, layers + 1);
    select(Tap::AttnProbs, plan.attention, layers);
    for (const auto& [tap, selection] : plan.more) {
        if (tap == Tap::FinalNorm || tap == Tap::Logits || tap == Tap::Count)
            fail("capture: use the final_norm and logits flags for ", tap_name(tap));
        select(tap, selection, tap == Tap::Residual ? layers + 1 : layers);
    }
    if (plan.final_norm) masks_[0] |= 1u << static_cast<unsigned>(Tap::FinalNorm);
    if (plan.logits) masks_[0] |= 1u << static_cast<unsigned>(Tap::Logits);
}

void CaptureHook::deliver(Backend& backend, Tap tap, int layer, const Tensor& tensor, int64_t pos0,
                          int64_t tokens) {
    buffer_.resize(static_cast<size_t>(tensor.elements()));
    backend.read(tensor, buffer_);
    sink_(Captured{tap, layer, pos0, tokens, tensor.rows, tensor.cols, buffer_});
}

Activations::Activations(Backend& backend, const ModelConfig& c, int64_t max_tokens)
    : max_tokens(max_tokens) {
    auto make = [&](int64_t cols) { return backend.allocate(DType::F32, max_tokens, cols); };
    x = make(c.hidden_size);
    normed = make(c.hidden_size);
    q = make(c.q_dim());
    attn = make(c.q_dim());
    proj = make(c.hidden_size);
    gate = make(c.ffn_size);
    up = make(c.ffn_size);
    act = make(c.ffn_size);
    ffn_out = make(c.hidden_size);
    logits = backend.allocate(DType::F32, 1, c.vocab_size);
}

uint64_t Activations::bytes(const ModelConfig& c, int64_t max_tokens) {
    const int64_t columns = 4 * c.hidden_size + 2 * c.q_dim() + 3 * c.ffn_size;  // x .. ffn_out
    return static_cast<uint64_t>(max_tokens * columns + c.vocab_size) * sizeof(float);
}

ForwardPass::ForwardPass(Backend& backend, const ModelConfig& config, const ModelWeights& weights,
                         KvCache& cache, Activations& activations, const ForwardInput& input,
                         CaptureHook* capture)
    : backend_(backend),
      config_(config),
      weights_(weights),
      cache_(cache),
      act_(activations),
      tokens_(input.tokens),
      pos0_(input.pos0),
      n_(static_cast<int64_t>(input.tokens.size())),
      capture_(capture),
      times_(input.times),
      want_logits_(input.logits) {
    if (n_ == 0 || n_ > act_.max_tokens)
        fail("forward pass: ", n_, " tokens do not fit a batch of ", act_.max_tokens);
    if (pos0_ + n_ > cache_.capacity)
        fail("the conversation is longer than the context (", cache_.capacity, " tokens): start a new one");
    if (times_) times_->start();
}

Tensor ForwardPass::embed_tokens() {
    Tensor x = act_.x.rows_slice(0, n_);
    backend_.embed(weights_.token_embedding, tokens_, x);
    return x;
}

Tensor ForwardPass::norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tap tap_id, int layer) {
    Tensor out = act_.normed.rows_slice(0, x.rows);
    if (config_.norm == NormKind::RmsNorm)
        backend_.rms_norm(x, weight, config_.norm_eps, out);
    else
        backend_.layer_norm(x, weight, bias, config_.norm_eps, out);
    tap(tap_id, layer, out);
    return out;
}

Tensor ForwardPass::add_residual_and_norm(const Tensor& x, const Tensor& delta, const Tensor& weight,
                                          const Tensor& bias, Tap tap_id, int layer) {
    if (config_.norm != NormKind::RmsNorm) {
        add_residual(x, delta);
        return norm(x, weight, bias, tap_id, layer);
    }
    Tensor out = act_.normed.rows_slice(0, x.rows);
    backend_.add_rms_norm(x, delta, weight, config_.norm_eps, out);
    tap(tap_id, layer, out);
    return out;
}

Tensor ForwardPass::self_attention(const Tensor& normed, const LayerWeights& w, int layer) {
    // Keys and values are computed straight into the cache rows of these positions (RoPE rotates the keys
    // there), so nothing is copied into the cache afterwards.
    const Tensor& keys = cache_.keys[static_cast<size_t>(layer)];
    const Tensor& values = cache_.values[static_cast<size_t>(layer)];
    Tensor q = act_.q.rows_slice(0, n_), k = keys.rows_slice(pos0_, n_), v = values.rows_slice(pos0_, n_);
    const Projection qkv[] = {{w.wq, w.bq, q}, {w.wk, w.bk, k}, {w.wv, w.bv, v}};
    const Tensor next[] = {w.wo};
    backend_.project(normed, qkv, next);

    RopeOptions rope{config_.heads,          config_.head_dim,
                     config_.rotary_dims,    config_.rope_interleaved,
                     weights_.rope_inv_freq, pos0_};
    backend_.rope(q, rope);
    rope.heads = config_.kv_heads;
    backend_.rope(k, rope);
    tap(Tap::Q, layer, q);
    tap(Tap::K, layer, k);
    tap(Tap::V, layer, v);

    AttentionOptions attention;
    attention.q = q;
    attention.k_cache = keys;
    attention.v_cache = values;
    attention.out = act_.attn.rows_slice(0, n_);
    attention.heads = config_.heads;
    attention.kv_heads = config_.kv_heads;
    attention.head_dim = config_.head_dim;
    attention.pos0 = pos0_;
    attention.scale = 1.0f / std::sqrt(static_cast<float>(config_.head_dim));
    bool want_probs = capture_ && capture_->wants(Tap::AttnProbs, layer);
    if (want_probs) {
        int64_t rows = int64_t{config_.heads} * n_, cols = pos0_ + n_;
        if (act_.probs.empty() || act_.probs.elements() < rows * cols)
            act_.probs = backend_.allocate(DType::F32, rows, cols);
        attention.probs = act_.probs;
        attention.probs.rows = rows;
        attention.probs.cols = cols;
    }
    backend_.attention(attention);
    if (want_probs) tap(Tap::AttnProbs, layer, attention.probs);
    tap(Tap::AttnOut, layer, attention.out);

    Tensor proj = act_.proj.rows_slice(0, n_);
    const Projection output[] = {{w.wo, Tensor{}, proj}};
    const Tensor ffn_inputs[] = {w.w_gate, w.w_up};
    backend_.project(attention.out, output, ffn_inputs);
    tap(Tap::AttnProj, layer, proj);
    return proj;
}

Tensor ForwardPass::gated_ffn(const Tensor& normed, const LayerWeights& w, int layer) {
    Tensor gate = act_.gate.rows_slice(0, n_), up = act_.up.rows_slice(0, n_),
           act = act_.act.rows_slice(0, n_);
    const Projection gate_up[] = {{w.w_gate, Tensor{}, gate}, {w.w_up, Tensor{}, up}};
    const Tensor down[] = {w.w_down};
    backend_.project(normed, gate_up, down);
    tap(Tap::FfnGate, layer, gate);
    tap(Tap::FfnUp, layer, up);
    backend_.swiglu(gate, up, act);
    tap(Tap::FfnAct, layer, act);
    Tensor out = act_.ffn_out.rows_slice(0, n_);
    // Next come the next layer's q, k and v projections, or the output head.
    std::array<Tensor, 3> next;
    size_t next_count = 0;
    if (layer + 1 < config_.layers) {
        const LayerWeights& following = weights_.layers[static_cast<size_t>(layer) + 1];
        next = {following.wq, following.wk, following.wv};
        next_count = 3;
    } else if (want_logits_) {
        next[0] = weights_.output;
        next_count = 1;
    }
    const Projection down_projection[] = {{w.w_down, Tensor{}, out}};
    backend_.project(act, down_projection, std::span<const Tensor>(next).first(next_count));
    tap(Tap::FfnOut, layer, out);
    return out;
}

Tensor ForwardPass::output_head(const Tensor& x) {
    // Generation needs only the last token's logits; the rest are computed only when captured.
    bool every_row = capture_ && capture_->wants_all_rows_of_head();
    if (!want_logits_ && !every_row) return Tensor{};
    Tensor rows = every_row ? x : x.row(n_ - 1);
    Tensor normed = norm(rows, weights_.output_norm, Tensor{}, Tap::FinalNorm, -1);
    Tensor logits = act_.logits;
    if (rows.rows > 1) logits = backend_.allocate(DType::F32, rows.rows, config_.vocab_size);
    backend_.matmul(normed, weights_.output, logits);
    tap(Tap::Logits, -1, logits);
    logits_ = logits.row(logits.rows - 1);
    return logits_;
}

}  // namespace loom
