#include "model/session.h"

#include <algorithm>

#include "util/error.h"

namespace loom {

namespace {

int64_t context_for(const Model& model, const SessionOptions& options) {
    int64_t context = options.context_length > 0 ? options.context_length
                                                 : std::min<int64_t>(model.config().context_length, 4096);
    if (context > model.config().context_length)
        fail("a context of ", context, " tokens is longer than this model supports (",
             model.config().context_length, ")");
    return context;
}

}  // namespace

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : model_(std::move(model)),
      cache_(model_->backend(), model_->config(), context_for(*model_, options)),
      activations_(model_->backend(), model_->config(), std::max<int64_t>(1, options.batch_size)) {}

std::span<const float> Session::evaluate(std::span<const int32_t> tokens, const CapturePlan* plan,
                                         const CaptureSink& sink) {
    if (tokens.empty()) fail("nothing to evaluate");
    const ModelConfig& config = model_->config();
    int64_t position = static_cast<int64_t>(tokens_.size());
    if (position + static_cast<int64_t>(tokens.size()) > cache_.capacity)
        fail("the conversation (", position + static_cast<int64_t>(tokens.size()),
             " tokens) does not fit the context of ", cache_.capacity,
             " tokens: start a new one or shorten it");
    for (int32_t id : tokens)
        if (id < 0 || id >= config.vocab_size)
            fail("token id ", id, " is outside the vocabulary of ", config.vocab_size, " tokens");

    std::optional<CaptureHook> hook;
    if (plan && !plan->empty()) hook.emplace(*plan, sink, config.layers);

    Backend& backend = model_->backend();
    for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(activations_.max_tokens)) {
        size_t count = std::min(tokens.size() - start, static_cast<size_t>(activations_.max_tokens));
        bool last_chunk = start + count == tokens.size();
        ForwardInput input{tokens.subspan(start, count), position, last_chunk, step_times_};
        ForwardPass pass(backend, config, model_->weights(), cache_, activations_, input,
                         hook ? &*hook : nullptr);
        model_->architecture().forward(pass);
        if (last_chunk) {
            if (pass.logits().empty()) fail("the ", config.architecture, " forward pass produced no logits");
            logits_.resize(static_cast<size_t>(config.vocab_size));
            backend.read(pass.logits(), logits_);
        }
        position += static_cast<int64_t>(count);
        tokens_.insert(tokens_.end(), tokens.begin() + static_cast<std::ptrdiff_t>(start),
                       tokens.begin() + static_cast<std::ptrdiff_t>(start + count));
    }
    return logits_;
}

void Session::truncate(int64_t count) {
    if (count < 0) count = 0;
    if (count < static_cast<int64_t>(tokens_.size())) tokens_.resize(static_cast<size_t>(count));
}

}  // namespace loom
