#include "api/generate.h"

#include <algorithm>
#include <chrono>

#include "util/error.h"

namespace loom {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

bool cancelled(const GenerateOptions& options) {
    return options.cancel && options.cancel->load(std::memory_order_relaxed);
}

}  // namespace

const char* stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::EndOfGeneration:
            return "end of generation";
        case StopReason::MaxTokens:
            return "token limit";
        case StopReason::ContextFull:
            return "context full";
        case StopReason::Cancelled:
            return "stopped";
    }
    return "?";
}

GenerationStats generate(Session& session, std::span<const int32_t> prompt, const GenerateOptions& options,
                         const std::function<bool(const GeneratedToken&)>& on_token) {
    if (prompt.empty()) fail("the prompt is empty: give at least one token (e.g. the model's BOS)");
    if (options.max_tokens < 0) fail("max tokens must not be negative (got ", options.max_tokens, ")");
    options.sampling.validate();
    // Held for the whole call: after a device failure the session goes on with another model, while the
    // decoder below keeps reading this one's tokenizer (both models' tokenizers are the same).
    const std::shared_ptr<const Model> model = session.shared_model();
    const Tokenizer& tokenizer = model->tokenizer();
    if (static_cast<int64_t>(prompt.size()) >= session.context_length())
        fail("the prompt (", prompt.size(), " tokens) does not fit the context of ", session.context_length(),
             " tokens");

    // Reuse the longest common prefix, but always evaluate at least the last prompt token: its logits are
    // what the first sampled token comes from.
    const std::vector<int32_t>& held = session.tokens();
    size_t common = 0;
    while (common < held.size() && common + 1 < prompt.size() && held[common] == prompt[common])
        ++common;
    session.truncate(static_cast<int64_t>(common));

    GenerationStats stats;
    stats.reused_prompt_tokens = static_cast<int64_t>(common);
    stats.prompt_tokens = static_cast<int64_t>(prompt.size() - common);
    const CapturePlan* plan = options.capture.empty() ? nullptr : &options.capture;

    auto start = Clock::now();
    std::span<const float> logits = session.evaluate(prompt.subspan(common), plan, options.capture_sink);
    stats.prompt_seconds = seconds_since(start);

    Sampler sampler(options.sampling);
    // The decoder sees the prompt first, so that the reply's first word gets the spacing it has after the
    // prompt (SentencePiece decoders drop the space of a sequence's first word).
    StreamDecoder decoder(tokenizer);
    for (int32_t id : prompt)
        decoder.push(id);
    const std::vector<int32_t>& stops = tokenizer.special().end_of_generation;
    auto is_stop = [&](int32_t id) { return std::find(stops.begin(), stops.end(), id) != stops.end(); };

    start = Clock::now();
    stats.reason = StopReason::MaxTokens;
    for (int i = 0; i < options.max_tokens; ++i) {
        if (cancelled(options)) {
            stats.reason = StopReason::Cancelled;
            break;
        }
        // Models often have more output rows than their tokenizer has tokens (padding to a round size): those
        // ids mean nothing and are never chosen.
        std::span<const float> choices =
            logits.first(std::min(logits.size(), static_cast<size_t>(tokenizer.vocab_size())));
        int32_t id = sampler.sample(choices, session.tokens());
        if (options.stop_at_end_of_generation && is_stop(id)) {
            stats.reason = StopReason::EndOfGeneration;
            break;
        }
        GeneratedToken token;
        token.id = id;
        token.position = static_cast<int64_t>(session.tokens().size());
        token.logprob = token_logprob(choices, id);
        if (options.top_logprobs > 0) token.top = top_logprobs(choices, options.top_logprobs);
        token.text = decoder.push(id);
        ++stats.generated_tokens;

        bool context_full = static_cast<int64_t>(session.tokens().size()) + 1 > session.context_length();
        // The token joins the session (and is captured) before it is reported, so that a listener that asks
        // for its hidden states finds them.
        if (!context_full)
            logits = session.evaluate(std::span<const int32_t>(&id, 1), plan, options.capture_sink);
        bool keep_going = on_token(token);
        if (context_full) {
            stats.reason = StopReason::ContextFull;
            break;
        }
        if (!keep_going) {
            stats.reason = StopReason::Cancelled;
            break;
        }
    }
    stats.generate_seconds = seconds_since(start);
    stats.trailing_text = decoder.flush();
    return stats;
}

}  // namespace loom
