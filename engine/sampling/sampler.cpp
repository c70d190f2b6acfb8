#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/vector.h"
#include "util/error.h"

namespace loom {

namespace {

uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

// log(sum(exp(logits))), computed stably.
double log_sum_exp(std::span<const float> logits) {
    float max = -std::numeric_limits<float>::infinity();
    for (float v : logits)
        max = std::max(max, v);
    double sum = 0.0;
    for (float v : logits)
        sum += std::exp(static_cast<double>(v) - max);
    return max + std::log(sum);
}

}  // namespace

void SamplingOptions::validate() const {
    if (!(temperature >= 0.0f) || temperature > 100.0f)
        fail("temperature must be between 0 and 100 (got ", temperature, ")");
    if (top_k < 0) fail("top-k must be 0 (off) or positive (got ", top_k, ")");
    if (!(top_p > 0.0f && top_p <= 1.0f)) fail("top-p must be above 0 and at most 1 (got ", top_p, ")");
    if (!(min_p >= 0.0f && min_p <= 1.0f)) fail("min-p must be between 0 and 1 (got ", min_p, ")");
    if (!(repeat_penalty > 0.0f) || repeat_penalty > 100.0f)
        fail("the repetition penalty must be above 0 and at most 100 (got ", repeat_penalty, ")");
    if (repeat_last_n < 0) fail("repeat-last-n must not be negative (got ", repeat_last_n, ")");
}

SamplingOptions SamplingOptions::greedy() {
    SamplingOptions o;
    o.temperature = 0.0f;
    o.repeat_penalty = 1.0f;
    return o;
}

Sampler::Sampler(const SamplingOptions& options) : options_(options) {
    options_.validate();
    uint64_t seed = options.seed;
    for (uint64_t& s : state_)
        s = splitmix64(seed);
}

// xoshiro256**: small, fast, and the same sequence on every platform (std distributions are not).
uint64_t Sampler::next_random() {
    uint64_t result = rotl(state_[1] * 5, 7) * 9;
    uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
}

double Sampler::uniform() {
    return static_cast<double>(next_random() >> 11) * 0x1.0p-53;
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> recent) {
    if (logits.empty()) fail("cannot sample from an empty vocabulary");
    const int32_t vocab = static_cast<int32_t>(logits.size());
    const bool penalize = options_.repeat_penalty != 1.0f && options_.repeat_last_n > 0 && !recent.empty();
    if (options_.temperature <= 0.0f && !penalize) return greedy_token(logits);
    work_.assign(logits.begin(), logits.end());

    if (penalize) {
        size_t window = std::min(recent.size(), static_cast<size_t>(options_.repeat_last_n));
        std::vector<int32_t> seen(recent.end() - static_cast<std::ptrdiff_t>(window), recent.end());
        std::sort(seen.begin(), seen.end());
        seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
        for (int32_t id : seen) {
            if (id < 0 || id >= vocab) continue;
            float& v = work_[static_cast<size_t>(id)];
            v = v > 0 ? v / options_.repeat_penalty : v * options_.repeat_penalty;
        }
    }

    if (options_.temperature <= 0.0f) return greedy_token(work_);

    // Most likely first; ties broken by id so that the order never depends on the sort algorithm.
    auto more_likely = [&](int32_t a, int32_t b) {
        float va = work_[static_cast<size_t>(a)], vb = work_[static_cast<size_t>(b)];
        return va > vb || (va == vb && a < b);
    };

    order_.resize(static_cast<size_t>(vocab));
    std::iota(order_.begin(), order_.end(), 0);
    size_t keep = order_.size();
    if (options_.top_k > 0 && static_cast<size_t>(options_.top_k) < keep)
        keep = static_cast<size_t>(options_.top_k);
    std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(keep), order_.end(),
                      more_likely);
    order_.resize(keep);

    // Probabilities of the kept tokens at this temperature.
    std::vector<double> probs(keep);
    double max = work_[static_cast<size_t>(order_[0])];
    double total = 0.0;
    for (size_t i = 0; i < keep; ++i) {
        probs[i] = std::exp((work_[static_cast<size_t>(order_[i])] - max) / options_.temperature);
        total += probs[i];
    }
    for (double& p : probs)
        p /= total;

    if (options_.top_p < 1.0f) {
        double mass = 0.0;
        size_t cut = keep;
        for (size_t i = 0; i < keep; ++i) {
            mass += probs[i];
            if (mass >= options_.top_p) {
                cut = i + 1;
                break;
            }
        }
        keep = cut;
    }
    if (options_.min_p > 0.0f) {
        double threshold = options_.min_p * probs[0];
        size_t cut = 1;
        while (cut < keep && probs[cut] >= threshold)
            ++cut;
        keep = cut;
    }

    double kept_mass = 0.0;
    for (size_t i = 0; i < keep; ++i)
        kept_mass += probs[i];
    double draw = uniform() * kept_mass;
    for (size_t i = 0; i < keep; ++i) {
        draw -= probs[i];
        if (draw < 0.0) return order_[i];
    }
    return order_[keep - 1];
}

std::vector<TokenProbability> top_logprobs(std::span<const float> logits, int count) {
    if (logits.empty() || count <= 0) return {};
    double lse = log_sum_exp(logits);
    std::vector<int32_t> ids(logits.size());
    std::iota(ids.begin(), ids.end(), 0);
    size_t n = std::min(ids.size(), static_cast<size_t>(count));
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(),
                      [&](int32_t a, int32_t b) {
                          float va = logits[static_cast<size_t>(a)], vb = logits[static_cast<size_t>(b)];
                          return va > vb || (va == vb && a < b);
                      });
    std::vector<TokenProbability> top;
    for (size_t i = 0; i < n; ++i)
        top.push_back({ids[i], static_cast<float>(logits[static_cast<size_t>(ids[i])] - lse)});
    return top;
}

float token_logprob(std::span<const float> logits, int32_t id) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size())
        fail("token id ", id, " is outside the vocabulary");
    return static_cast<float>(logits[static_cast<size_t>(id)] - log_sum_exp(logits));
}

int32_t greedy_token(std::span<const float> logits) {
    if (logits.empty()) fail("cannot pick a token from an empty vocabulary");
    return static_cast<int32_t>(vector_kernels().argmax(logits.data(), static_cast<int64_t>(logits.size())));
}

}  // namespace loom
