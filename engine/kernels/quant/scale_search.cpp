#include "kernels/quant/scale_search.h"

#include <algorithm>

namespace loom::quant {

namespace {

// Candidate scales are (qmax + step) / range for steps in [-kStepRange, kStepRange]: a step below zero
// stretches the codes beyond the block's extremes (clipping them slightly), a step above zero leaves spare
// codes at the ends. Step 0 is the plain min/max scale.
constexpr float kStepRange = 1.0f;
constexpr float kStepSize = 0.1f;
constexpr int kSteps = 2 * 10 + 1;  // -1.0, -0.9, ..., +1.0

// Weighted sums of a candidate's codes, the normal equations of the least-squares fit.
struct Sums {
    double w = 0, q = 0, qq = 0, x = 0, qx = 0;
};

}  // namespace

void importance_weights(const float* x, int n, float* w) {
    float sum_squares = 0.0f;
    for (int i = 0; i < n; ++i)
        sum_squares += x[i] * x[i];
    float rms = std::sqrt(sum_squares / static_cast<float>(n));
    for (int i = 0; i < n; ++i)
        w[i] = rms + std::fabs(x[i]);
}

ScaleMinFit fit_scale_min(const float* x, const float* w, int n, int qmax, uint8_t* q) {
    float lo = *std::min_element(x, x + n), hi = *std::max_element(x, x + n);
    lo = std::min(lo, 0.0f);  // the minimum is subtracted, so it can only move the codes' zero downwards
    if (!(hi > lo)) {         // all values equal (and <= 0), or NaN: no scale to find
        std::fill(q, q + n, uint8_t{0});
        return {0.0f, std::isfinite(lo) ? -lo : 0.0f};
    }

    ScaleMinFit best;
    double best_error = -1.0;
    uint8_t codes[32];
    const float top = static_cast<float>(qmax);
    for (int step = 0; step < kSteps; ++step) {
        float inverse = (top - kStepRange + kStepSize * static_cast<float>(step)) / (hi - lo);
        Sums s;
        for (int i = 0; i < n; ++i) {
            codes[i] = static_cast<uint8_t>(round_clamped(inverse * (x[i] - lo), 0.0f, top));
            double wi = w[i], qi = codes[i];
            s.w += wi;
            s.q += wi * qi;
            s.qq += wi * qi * qi;
            s.x += wi * x[i];
            s.qx += wi * qi * x[i];
        }
        // Solve for x ~ scale * q + offset; the format needs offset = -min <= 0.
        double det = s.w * s.qq - s.q * s.q;
        if (det <= 0.0 || s.qq <= 0.0) continue;
        double scale = (s.w * s.qx - s.q * s.x) / det;
        double offset = (s.qq * s.x - s.q * s.qx) / det;
        if (offset > 0.0) {
            offset = 0.0;
            scale = s.qx / s.qq;
        }
        if (scale <= 0.0) continue;
        double error = 0.0;
        for (int i = 0; i < n; ++i) {
            double diff = scale * codes[i] + offset - x[i];
            error += w[i] * diff * diff;
        }
        if (best_error < 0.0 || error < best_error) {
            best_error = error;
            best = {static_cast<float>(scale), static_cast<float>(-offset)};
            std::copy(codes, codes + n, q);
        }
    }
    if (best_error <
        0.0) {  // no candidate solved (cannot happen for hi > lo, kept for safety): min/max scale
        float scale = (hi - lo) / top;
        for (int i = 0; i < n; ++i)
            q[i] = static_cast<uint8_t>(round_clamped((x[i] - lo) / scale, 0.0f, top));
        return {scale, -lo};
    }
    return best;
}

float fit_scale_signed(const float* x, const float* w, int n, int qneg, int8_t* q) {
    float extreme = 0.0f;  // the value of largest magnitude, with its sign
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
    if (!(std::fabs(extreme) > 0.0f) || !std::isfinite(extreme)) {
        std::fill(q, q + n, int8_t{0});
        return 0.0f;
    }

    const float low = static_cast<float>(-qneg), high = static_cast<float>(qneg - 1);
    double best_score = -1.0;
    float best_scale = 0.0f;
    int8_t codes[32];
    for (int step = 1; step < kSteps - 1; ++step) {  // -0.9 .. +0.9: a full code of stretch is never useful
        float inverse =
            -(static_cast<float>(qneg) - kStepRange + kStepSize * static_cast<float>(step)) / extreme;
        double qx = 0.0, qq = 0.0;
        for (int i = 0; i < n; ++i) {
            codes[i] = static_cast<int8_t>(round_clamped(inverse * x[i], low, high));
            qx += double{w[i]} * codes[i] * x[i];
            qq += double{w[i]} * codes[i] * codes[i];
        }
        // With the least-squares scale qx / qq the error is sum(w x^2) - qx^2 / qq: maximize qx^2 / qq.
        if (qq <= 0.0) continue;
        double score = qx * qx / qq;
        if (score > best_score) {
            best_score = score;
            best_scale = static_cast<float>(qx / qq);
            std::copy(codes, codes + n, q);
        }
    }
    if (best_score < 0.0) {
        std::fill(q, q + n, int8_t{0});
        return 0.0f;
    }
    return best_scale;
}

}  // namespace loom::quant
