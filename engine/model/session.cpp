#include "model/session.h"

#include <algorithm>

#include "util/error.h"

namespace loom {

int64_t Session::context_tokens(const ModelConfig& config, const SessionOptions& options) {
    int64_t context =
        options.context_length > 0 ? options.context_length : std::min<int64_t>(config.context_length, 4096);
    if (context > config.context_length)
        fail("a context of ", context, " tokens is longer than this model supports (", config.context_length,
             ")");
    return context;
}

uint64_t Session::memory_bytes(const ModelConfig& config, const SessionOptions& options) {
    return KvCache::bytes(config, context_tokens(config, options)) +
           Activations::bytes(config, std::max<int64_t>(1, options.batch_size));
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options) : options_(options) {
    options_.batch_size = std::max<int64_t>(1, options.batch_size);
    const int64_t context = context_tokens(model->config(), options);
    try {
        start_on(std::move(model), context);
    } catch (const DeviceFailure& failure) {
        start_on(replacement_for(failure), context);
    }
}

void Session::start_on(std::shared_ptr<const Model> model, int64_t context) {
    activations_.reset();
    cache_.reset();
    model_ = std::move(model);
    cache_.emplace(model_->backend(), model_->config(), context);
    activations_.emplace(model_->backend(), model_->config(), options_.batch_size);
}

std::shared_ptr<const Model> Session::replacement_for(const DeviceFailure& failure) {
    std::shared_ptr<const Model> replacement =
        options_.on_device_failure ? options_.on_device_failure(failure) : nullptr;
    if (!replacement || replacement == model_) throw failure;
    return replacement;
}

void Session::move_to(std::shared_ptr<const Model> model) {
    start_on(std::move(model), cache_->capacity);
    const std::span<const int32_t> held(tokens_);
    for (size_t start = 0; start < held.size(); start += static_cast<size_t>(activations_->max_tokens)) {
        size_t count = std::min(held.size() - start, static_cast<size_t>(activations_->max_tokens));
        forward(held.subspan(start, count), static_cast<int64_t>(start), false, nullptr);
    }
}

void Session::forward(std::span<const int32_t> tokens, int64_t pos0, bool logits, CaptureHook* hook) {
    const ModelConfig& config = model_->config();
    ForwardInput input{tokens, pos0, logits, step_times_};
    ForwardPass pass(model_->backend(), config, model_->weights(), *cache_, *activations_, input, hook);
    model_->architecture().forward(pass);
    if (logits) {
        if (pass.logits().empty()) fail("the ", config.architecture, " forward pass produced no logits");
        logits_.resize(static_cast<size_t>(config.vocab_size));
        model_->backend().read(pass.logits(), logits_);
    }
}

std::span<const float> Session::evaluate(std::span<const int32_t> tokens, const CapturePlan* plan,
                                         const CaptureSink& sink) {
    if (tokens.empty()) fail("nothing to evaluate");
    const ModelConfig& config = model_->config();
    int64_t position = static_cast<int64_t>(tokens_.size());
    if (position + static_cast<int64_t>(tokens.size()) > cache_->capacity)
        fail("the conversation (", position + static_cast<int64_t>(tokens.size()),
             " tokens) does not fit the context of ", cache_->capacity,
             " tokens: start a new one or shorten it");
    for (int32_t id : tokens)
        if (id < 0 || id >= config.vocab_size)
            fail("token id ", id, " is outside the vocabulary of ", config.vocab_size, " tokens");

    std::optional<CaptureHook> hook;
    if (plan && !plan->empty()) hook.emplace(*plan, sink, config.layers);

    for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(activations_->max_tokens)) {
        const size_t count = std::min(tokens.size() - start, static_cast<size_t>(activations_->max_tokens));
        const std::span<const int32_t> chunk = tokens.subspan(start, count);
        const bool last_chunk = start + count == tokens.size();
        try {
            forward(chunk, position, last_chunk, hook ? &*hook : nullptr);
        } catch (const DeviceFailure& failure) {
            // A GPU computes ahead of what the host has seen: the failure may belong to any earlier call, so
            // the new backend evaluates everything held. Captures of this chunk that arrived are sent again.
            move_to(replacement_for(failure));
            forward(chunk, position, last_chunk, hook ? &*hook : nullptr);
        }
        position += static_cast<int64_t>(count);
        tokens_.insert(tokens_.end(), chunk.begin(), chunk.end());
    }
    return logits_;
}

void Session::truncate(int64_t count) {
    if (count < 0) count = 0;
    if (count < static_cast<int64_t>(tokens_.size())) tokens_.resize(static_cast<size_t>(count));
}

}  // namespace loom
