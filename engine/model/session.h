// A conversation's state on one model: the tokens seen so far and their keys and values (the KV cache).
// Evaluating new tokens extends it; truncating it lets a chat regenerate or edit a reply without
// recomputing the shared beginning.
//
// The sessions of one model share its backend: use them from one thread at a time.
//
// When the model's device fails while a session runs on it (a DeviceFailure: a GPU lost, out of memory, or
// lacking an operation), a session given SessionOptions::on_device_failure moves to the model that callback
// returns (the same model on the CPU), evaluates again the tokens it held, and goes on with the call that
// failed: its caller sees no error, only the model it runs on change.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "model/capture.h"
#include "model/forward_pass.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "util/error.h"

namespace loom {

struct SessionOptions {
    int64_t context_length = 0;  // positions the cache holds; 0: the model's, at most 4096
    int64_t batch_size = 64;     // tokens per forward call when evaluating a long prompt
    // The model to go on with when the device of the session's model fails (gpu/backend_choice.h's
    // LoadedModel::load_on_cpu gives one); empty, or returning null or the same model: the failure is thrown.
    std::function<std::shared_ptr<const Model>(const DeviceFailure&)> on_device_failure;
};

class Session {
  public:
    explicit Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});

    // The memory a session with these options takes on its model's backend (KV cache and scratch
    // tensors); with options.context_length 0, at the context it would have (context_tokens).
    static uint64_t memory_bytes(const ModelConfig& config, const SessionOptions& options);
    static int64_t context_tokens(const ModelConfig& config, const SessionOptions& options);

    // Runs `tokens` through the model after the ones already seen and returns the logits of the last one
    // ([vocab], valid until the next call). Intermediates named in `plan` go to `sink`.
    std::span<const float> evaluate(std::span<const int32_t> tokens, const CapturePlan* plan = nullptr,
                                    const CaptureSink& sink = {});

    // Adds the time of each step of the following evaluations to `times` (step_times.h); null stops it.
    void time_steps(StepTimes* times) { step_times_ = times; }

    // Forgets every token after the first `count`.
    void truncate(int64_t count);

    const std::vector<int32_t>& tokens() const { return tokens_; }
    int64_t context_length() const { return cache_->capacity; }
    // The model the session runs on: the one it was made with, or where it went after a device failure.
    const Model& model() const { return *model_; }
    std::shared_ptr<const Model> shared_model() const { return model_; }
    std::span<const float> last_logits() const { return logits_; }

  private:
    // Makes the cache and scratch tensors on `model`'s backend, dropping those of the previous one.
    void start_on(std::shared_ptr<const Model> model, int64_t context);
    // The model on_device_failure offers instead of model_; throws `failure` when there is none.
    std::shared_ptr<const Model> replacement_for(const DeviceFailure& failure);
    // Starts again on `model` and evaluates the tokens held so far there (without capture).
    void move_to(std::shared_ptr<const Model> model);
    // One forward call of tokens at positions pos0..; with `logits`, reads the last one's into logits_.
    void forward(std::span<const int32_t> tokens, int64_t pos0, bool logits, CaptureHook* hook);

    SessionOptions options_;
    std::shared_ptr<const Model> model_;
    std::optional<KvCache> cache_;
    std::optional<Activations> activations_;
    std::vector<int32_t> tokens_;
    std::vector<float> logits_;
    StepTimes* step_times_ = nullptr;
};

}  // namespace loom
