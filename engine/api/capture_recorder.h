// Keeps what an interpretability view needs, position by position, from the capture hook of a session:
// every layer's hidden state (for norms and the logit lens), every layer's and head's attention row, and the
// most likely next tokens. Positions match the session's; truncate() follows Session::truncate().
//
// Hidden states and attention are stored as 16-bit floats. When the memory budget is exceeded the attention
// rows of the oldest positions are dropped first (has_attention() then says so); hidden states are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/capture.h"
#include "model/model_config.h"
#include "sampling/sampler.h"

namespace loom {

struct CaptureRecorderOptions {
    size_t memory_budget = size_t{512} << 20;  // bytes
    int top_next_tokens = 10;
};

class CaptureRecorder {
  public:
    CaptureRecorder(const ModelConfig& config, const CaptureRecorderOptions& options = {});

    // What to ask the session for: hidden states of every layer, attention of every layer, every position's
    // logits.
    CapturePlan plan() const;
    // Feed this to Session::evaluate / generate. Holds a pointer to this recorder.
    CaptureSink sink();

    void truncate(int64_t positions);
    int64_t positions() const { return static_cast<int64_t>(positions_.size()); }
    int layers() const { return layers_; }
    int heads() const { return heads_; }
    size_t memory_used() const { return bytes_; }

    // ||h|| of each of the layers + 1 hidden states at `position` (0 = after the embedding).
    std::vector<float> hidden_norms(int64_t position) const;
    // The hidden state after layer `layer` (0 = embedding) at `position`, [hidden].
    std::vector<float> hidden_state(int64_t position, int layer) const;
    // All layers + 1 hidden states at `position`, [layers + 1, hidden] row-major.
    std::vector<float> hidden_states(int64_t position) const;
    bool has_attention(int64_t position) const;
    // The attention probabilities of `position` over positions 0..position, for one layer and head.
    std::vector<float> attention_row(int64_t position, int layer, int head) const;
    // The most likely tokens after `position` (from its logits), most likely first.
    const std::vector<TokenProbability>& next_tokens(int64_t position) const;

  private:
    struct Position {
        std::vector<uint16_t> hidden;     // [layers + 1, hidden] fp16
        std::vector<float> norms;         // [layers + 1]
        std::vector<uint16_t> attention;  // [layers, heads, position + 1] fp16; empty if dropped
        std::vector<TokenProbability> next;
    };
    void receive(const Captured& captured);
    Position& at(int64_t position);
    const Position& get(int64_t position) const;
    void enforce_budget();

    int layers_;
    int heads_;
    int64_t hidden_;
    CaptureRecorderOptions options_;
    std::vector<Position> positions_;
    size_t bytes_ = 0;
    int64_t oldest_attention_ = 0;  // positions before this one have had their attention dropped
};

}  // namespace loom
