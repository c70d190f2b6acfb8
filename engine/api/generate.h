// Text generation: the loop that feeds a prompt to a Session, samples tokens one by one, streams their text
// and stops at the end of the model's turn, at a token limit, at a full context, or when asked to.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "model/capture.h"
#include "model/session.h"
#include "sampling/sampler.h"

namespace loom {

struct GenerateOptions {
    SamplingOptions sampling;
    int max_tokens = 256;
    bool stop_at_end_of_generation = true;  // stop at eos / <|eot_id|> / <|im_end|>...
    int top_logprobs = 0;                   // alternatives reported with each token
    // Intermediates to capture for the prompt and for every generated token (none by default).
    CapturePlan capture;
    CaptureSink capture_sink;
    // Set from any thread to stop after the current token.
    const std::atomic<bool>* cancel = nullptr;
};

struct GeneratedToken {
    int32_t id = 0;
    int64_t position = 0;  // where the token sits in the session
    std::string text;      // the text this token completes (may be empty inside a multi-byte character)
    float logprob = 0.0f;  // under the model's raw distribution
    std::vector<TokenProbability> top;  // the most likely alternatives, if asked for
};

enum class StopReason { EndOfGeneration, MaxTokens, ContextFull, Cancelled };
const char* stop_reason_name(StopReason reason);

struct GenerationStats {
    int64_t prompt_tokens = 0;         // tokens of the prompt that had to be evaluated
    int64_t reused_prompt_tokens = 0;  // tokens of the prompt already in the session's cache
    double prompt_seconds = 0;
    int64_t generated_tokens = 0;
    double generate_seconds = 0;  // from the first sampled token to the last
    StopReason reason = StopReason::MaxTokens;
    // Bytes of an unfinished UTF-8 character when generation stopped inside one (as U+FFFD); append it.
    std::string trailing_text;

    double prompt_tokens_per_second() const {
        return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0;
    }
    double generated_tokens_per_second() const {
        return generate_seconds > 0 ? generated_tokens / generate_seconds : 0;
    }
};

// Evaluates `prompt` in `session` (reusing the part of it the session already holds, dropping the rest of
// the session) and generates up to options.max_tokens tokens, calling on_token for each; on_token returns
// false to stop. The end-of-generation token itself is not reported.
GenerationStats generate(Session& session, std::span<const int32_t> prompt, const GenerateOptions& options,
                         const std::function<bool(const GeneratedToken&)>& on_token);

}  // namespace loom
