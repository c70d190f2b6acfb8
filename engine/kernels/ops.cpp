#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace loom {

void rms_norm_row(const float* x, const float* weight, int64_t n, float eps, float* out) {
    double sum_squares = 0.0;
    for (int64_t i = 0; i < n; ++i)
        sum_squares += static_cast<double>(x[i]) * x[i];
    float scale = static_cast<float>(1.0 / std::sqrt(sum_squares / static_cast<double>(n) + eps));
    for (int64_t i = 0; i < n; ++i)
        out[i] = x[i] * scale * weight[i];
}

void layer_norm_row(const float* x, const float* weight, const float* bias, int64_t n, float eps,
                    float* out) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i)
        sum += x[i];
    double mean = sum / static_cast<double>(n);
    double sum_squares = 0.0;
    for (int64_t i = 0; i < n; ++i)
        sum_squares += (x[i] - mean) * (x[i] - mean);
    double inv_std = 1.0 / std::sqrt(sum_squares / static_cast<double>(n) + eps);
    for (int64_t i = 0; i < n; ++i) {
        float normed = static_cast<float>((x[i] - mean) * inv_std);
        out[i] = normed * weight[i] + (bias ? bias[i] : 0.0f);
    }
}

float softmax_row(float* x, int64_t n) {
    if (n <= 0) return -INFINITY;
    float max = *std::max_element(x, x + n);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += x[i];
    }
    float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i)
        x[i] *= inv;
    return max + static_cast<float>(std::log(sum));
}

int64_t argmax_row(const float* x, int64_t n) {
    int64_t best = -1;
    for (int64_t i = 0; i < n; ++i)
        if (!std::isnan(x[i]) && (best < 0 || x[i] > x[best])) best = i;
    return best < 0 ? 0 : best;
}

void swiglu_row(const float* gate, const float* up, int64_t n, float* out) {
    for (int64_t i = 0; i < n; ++i)
        out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void rope_angles(const RopeRow& rope, int64_t position, float* cos, float* sin) {
    for (int i = 0; i < rope.rotary_dims / 2; ++i) {
        double angle = static_cast<double>(position) * rope.inv_freq[i];
        cos[i] = static_cast<float>(std::cos(angle));
        sin[i] = static_cast<float>(std::sin(angle));
    }
}

void rope_rotate(float* head, const RopeRow& rope, const float* cos, const float* sin) {
    const int pairs = rope.rotary_dims / 2;
    for (int i = 0; i < pairs; ++i) {
        float* a = rope.interleaved ? head + 2 * i : head + i;
        float* b = rope.interleaved ? head + 2 * i + 1 : head + i + pairs;
        float x0 = *a, x1 = *b;
        *a = x0 * cos[i] - x1 * sin[i];
        *b = x1 * cos[i] + x0 * sin[i];
    }
}

void rope_head(float* head, const RopeRow& rope, int64_t position) {
    std::vector<float> cos(static_cast<size_t>(rope.rotary_dims / 2)), sin(cos.size());
    rope_angles(rope, position, cos.data(), sin.data());
    rope_rotate(head, rope, cos.data(), sin.data());
}

}  // namespace loom
