// Capture: the forward pass names every intermediate tensor (a Tap, with its layer) and passes it to one
// hook. A CapturePlan says which ones the caller wants; the hook copies those to the host and hands them to
// a CaptureSink. With an empty plan the hook is a single bit test per intermediate: nothing is copied and
// attention probabilities are not even written.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace loom {

enum class Tap : uint8_t {
    Residual,   // hidden state: layer 0 = after the embedding, layer l+1 = after decoder layer l
    AttnNorm,   // input of attention, after its norm          [n, hidden]
    Q,          // queries after RoPE                          [n, heads * head_dim]
    K,          // keys after RoPE                             [n, kv_heads * head_dim]
    V,          // values                                      [n, kv_heads * head_dim]
    AttnProbs,  // attention probabilities                     [heads * n, pos0 + n]
    AttnOut,    // attention output before its projection      [n, heads * head_dim]
    AttnProj,   // after the output projection                 [n, hidden]
    FfnNorm,    // input of the feed-forward block, normed     [n, hidden]
    FfnGate,    //                                             [n, ffn]
    FfnUp,      //                                             [n, ffn]
    FfnAct,     // silu(gate) * up                             [n, ffn]
    FfnOut,     // after the down projection                   [n, hidden]
    FinalNorm,  // output of the final norm (layer -1)         [n, hidden]
    Logits,     // every position's logits (layer -1)          [n, vocab]
    Count
};

std::string_view tap_name(Tap tap);  // "residual", "attn_probs", ...

// Which layers of a tap to capture: none, all, or a list where negative indices count from the end
// (-1 = the last).
struct LayerSelection {
    bool all = false;
    std::vector<int> layers;

    static LayerSelection every() { return {true, {}}; }
    static LayerSelection only(std::vector<int> layers) { return {false, std::move(layers)}; }
    bool empty() const { return !all && layers.empty(); }
    // Which of `count` layers are selected. Throws Error naming the index if one is out of range.
    std::vector<bool> resolve(int count, std::string_view what) const;
};

struct CapturePlan {
    LayerSelection hidden_states;  // Tap::Residual: count = layers + 1
    LayerSelection attention;      // Tap::AttnProbs: count = layers
    bool final_norm = false;
    bool logits = false;                               // logits of every position, not only of the last
    std::vector<std::pair<Tap, LayerSelection>> more;  // any other per-layer tap

    bool empty() const {
        return hidden_states.empty() && attention.empty() && !final_norm && !logits && more.empty();
    }
};

// One captured tensor, valid only during the sink call.
struct Captured {
    Tap tap;
    int layer;     // -1 for FinalNorm and Logits
    int64_t pos0;  // position of the first token
    int64_t tokens;
    int64_t rows;  // tokens, or heads * tokens for AttnProbs (head-major)
    int64_t cols;
    std::span<const float> values;  // rows * cols
};

using CaptureSink = std::function<void(const Captured&)>;

}  // namespace loom
