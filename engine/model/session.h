// A conversation's state on one model: the tokens seen so far and their keys and values (the KV cache).
// Evaluating new tokens extends it; truncating it lets a chat regenerate or edit a reply without
// recomputing the shared beginning.
//
// The sessions of one model share its backend: use them from one thread at a time.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "model/capture.h"
#include "model/forward_pass.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace loom {

struct SessionOptions {
    int64_t context_length = 0;  // positions the cache holds; 0: the model's, at most 4096
    int64_t batch_size = 64;     // tokens per forward call when evaluating a long prompt
};

class Session {
  public:
    explicit Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});

    // Runs `tokens` through the model after the ones already seen and returns the logits of the last one
    // ([vocab], valid until the next call). Intermediates named in `plan` go to `sink`.
    std::span<const float> evaluate(std::span<const int32_t> tokens, const CapturePlan* plan = nullptr,
                                    const CaptureSink& sink = {});

    // Adds the time of each step of the following evaluations to `times` (step_times.h); null stops it.
    void time_steps(StepTimes* times) { step_times_ = times; }

    // Forgets every token after the first `count`.
    void truncate(int64_t count);

    const std::vector<int32_t>& tokens() const { return tokens_; }
    int64_t context_length() const { return cache_.capacity; }
    const Model& model() const { return *model_; }
    std::span<const float> last_logits() const { return logits_; }

  private:
    std::shared_ptr<const Model> model_;
    KvCache cache_;
    Activations activations_;
    std::vector<int32_t> tokens_;
    std::vector<float> logits_;
    StepTimes* step_times_ = nullptr;
};

}  // namespace loom
