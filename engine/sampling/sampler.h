// Choosing the next token from the model's logits.
//
// Order of operations, as in Hugging Face transformers: repetition penalty, then temperature, then the
// filters top-k, top-p (nucleus) and min-p, then a draw from what is left. Temperature 0 means greedy
// (the most likely token after the penalty). The same seed and inputs always give the same choices.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace loom {

struct SamplingOptions {
    float temperature = 0.8f;     // 0: greedy
    int top_k = 40;               // keep the k most likely; 0: off
    float top_p = 0.95f;          // keep the most likely tokens until their mass reaches p; 1: off
    float min_p = 0.05f;          // drop tokens less likely than min_p times the most likely; 0: off
    float repeat_penalty = 1.1f;  // divide positive logits (multiply negative) of recent tokens; 1: off
    int repeat_last_n = 64;       // how many recent tokens the penalty looks at
    uint64_t seed = 0;

    // Throws Error naming the first value that makes no sense (negative temperature, top_p above 1...).
    void validate() const;
    static SamplingOptions greedy();
};

struct TokenProbability {
    int32_t id;
    float logprob;  // natural log of the probability under the model's own distribution
};

class Sampler {
  public:
    explicit Sampler(const SamplingOptions& options);

    // Picks a token. `recent` are the tokens the repetition penalty applies to (the conversation so far).
    int32_t sample(std::span<const float> logits, std::span<const int32_t> recent);

    const SamplingOptions& options() const { return options_; }

  private:
    uint64_t next_random();
    double uniform();  // in [0, 1)

    SamplingOptions options_;
    uint64_t state_[4];
    std::vector<float> work_;
    std::vector<int32_t> order_;
};

// The most likely token: the first of the largest logits (NaNs skipped). What greedy sampling picks when no
// penalty applies, found with the SIMD kernel of this CPU.
int32_t greedy_token(std::span<const float> logits);

// The `count` most likely tokens with their log-probabilities (log-softmax of the raw logits), most
// likely first, and the log-probability of one token.
std::vector<TokenProbability> top_logprobs(std::span<const float> logits, int count);
float token_logprob(std::span<const float> logits, int32_t id);

}  // namespace loom
