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

// Sub-blocks have at most 32 values; sums run over 8 independent lanes so that the compiler can vectorize
// them without reassociating float additions.
constexpr int kLanes = 8;
constexpr int kMaxValues = 32;

struct Lanes {
    float v[kLanes] = {};
    float total() const {
        float s = 0.0f;
        for (float x : v)
            s += x;
        return s;
    }
};

// Codes round(x * inverse + shift) clamped to [lo, hi], as floats, into q (n a multiple of 8).
void codes_of(const float* x, int n, float inverse, float shift, float lo, float hi, float* q) {
    for (int i = 0; i < n; ++i)
        q[i] = static_cast<float>(round_clamped(x[i] * inverse + shift, lo, hi));
}

int padded(int n) {
    return (n + kLanes - 1) / kLanes * kLanes;
}

}  // namespace

void importance_weights(const float* x, int n, float* w) {
    float sum_squares = 0.0f;
    for (int i = 0; i < n; ++i)
        sum_squares += x[i] * x[i];
    float rms = std::sqrt(sum_squares / static_cast<float>(n));
    for (int i = 0; i < n; ++i)
        w[i] = rms + std::fabs(x[i]);
}

ScaleMinFit fit_scale_min(const float* x_in, const float* w_in, int n, int qmax, uint8_t* q_out) {
    // Copies padded with weight-0 values, so that every loop runs over whole groups of 8 lanes.
    const int m = padded(n);
    float x[kMaxValues] = {}, w[kMaxValues] = {}, q[kMaxValues];
    std::copy(x_in, x_in + n, x);
    std::copy(w_in, w_in + n, w);

    float lo = *std::min_element(x_in, x_in + n), hi = *std::max_element(x_in, x_in + n);
    lo = std::min(lo, 0.0f);  // the minimum is subtracted, so it can only move the codes' zero downwards
    if (!(hi > lo) ||
        !std::isfinite(hi - lo)) {  // all values equal (and <= 0), or not finite: nothing to fit
        std::fill(q_out, q_out + n, uint8_t{0});
        return {0.0f, std::isfinite(lo) ? -lo : 0.0f};
    }

    // Sums that do not depend on the codes.
    Lanes sw, swx, swxx;
    for (int i = 0; i < m; i += kLanes)
        for (int l = 0; l < kLanes; ++l) {
            sw.v[l] += w[i + l];
            swx.v[l] += w[i + l] * x[i + l];
            swxx.v[l] += w[i + l] * x[i + l] * x[i + l];
        }
    const double w_sum = sw.total(), wx_sum = swx.total(), wxx_sum = swxx.total();

    const float top = static_cast<float>(qmax);
    double best_error = -1.0;
    float best_inverse = 0.0f;
    ScaleMinFit best;
    for (int step = 0; step < kSteps; ++step) {
        float inverse = (top - kStepRange + kStepSize * static_cast<float>(step)) / (hi - lo);
        codes_of(x, m, inverse, -lo * inverse, 0.0f, top, q);
        Lanes sq, sqq, sqx;
        for (int i = 0; i < m; i += kLanes)
            for (int l = 0; l < kLanes; ++l) {
                float wq = w[i + l] * q[i + l];
                sq.v[l] += wq;
                sqq.v[l] += wq * q[i + l];
                sqx.v[l] += wq * x[i + l];
            }
        const double q_sum = sq.total(), qq_sum = sqq.total(), qx_sum = sqx.total();
        // Least squares for x ~ scale * q + offset; the format needs offset = -min <= 0.
        double det = w_sum * qq_sum - q_sum * q_sum;
        if (det <= 0.0 || qq_sum <= 0.0) continue;
        double scale = (w_sum * qx_sum - q_sum * wx_sum) / det;
        double offset = (qq_sum * wx_sum - q_sum * qx_sum) / det;
        if (offset > 0.0) {
            offset = 0.0;
            scale = qx_sum / qq_sum;
        }
        if (scale <= 0.0) continue;
        // sum w (scale q + offset - x)^2, expanded into the sums above.
        double error = scale * scale * qq_sum + 2.0 * scale * offset * q_sum + offset * offset * w_sum -
                       2.0 * scale * qx_sum - 2.0 * offset * wx_sum + wxx_sum;
        if (best_error < 0.0 || error < best_error) {
            best_error = error;
            best_inverse = inverse;
            best = {static_cast<float>(scale), static_cast<float>(-offset)};
        }
    }
    if (best_error <
        0.0) {  // no candidate solved (cannot happen for hi > lo, kept for safety): min/max scale
        best_inverse = top / (hi - lo);
        best = {(hi - lo) / top, -lo};
    }
    codes_of(x, m, best_inverse, -lo * best_inverse, 0.0f, top, q);
    for (int i = 0; i < n; ++i)
        q_out[i] = static_cast<uint8_t>(q[i]);
    return best;
}

float fit_scale_signed(const float* x_in, const float* w_in, int n, int qneg, int8_t* q_out) {
    const int m = padded(n);
    float x[kMaxValues] = {}, w[kMaxValues] = {}, q[kMaxValues];
    std::copy(x_in, x_in + n, x);
    std::copy(w_in, w_in + n, w);

    float extreme = 0.0f;  // the value of largest magnitude, with its sign
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
    if (!(std::fabs(extreme) > 0.0f) || !std::isfinite(extreme)) {
        std::fill(q_out, q_out + n, int8_t{0});
        return 0.0f;
    }

    const float low = static_cast<float>(-qneg), high = static_cast<float>(qneg - 1);
    double best_score = -1.0;
    float best_scale = 0.0f, best_inverse = 0.0f;
    for (int step = 1; step < kSteps - 1; ++step) {  // -0.9 .. +0.9: a full code of stretch is never useful
        float inverse =
            -(static_cast<float>(qneg) - kStepRange + kStepSize * static_cast<float>(step)) / extreme;
        codes_of(x, m, inverse, 0.0f, low, high, q);
        Lanes sqx, sqq;
        for (int i = 0; i < m; i += kLanes)
            for (int l = 0; l < kLanes; ++l) {
                float wq = w[i + l] * q[i + l];
                sqx.v[l] += wq * x[i + l];
                sqq.v[l] += wq * q[i + l];
            }
        const double qx = sqx.total(), qq = sqq.total();
        // With the least-squares scale qx / qq the error is sum(w x^2) - qx^2 / qq: maximize qx^2 / qq.
        if (qq <= 0.0) continue;
        double score = qx * qx / qq;
        if (score > best_score) {
            best_score = score;
            best_scale = static_cast<float>(qx / qq);
            best_inverse = inverse;
        }
    }
    if (best_score < 0.0) {
        std::fill(q_out, q_out + n, int8_t{0});
        return 0.0f;
    }
    codes_of(x, m, best_inverse, 0.0f, low, high, q);
    for (int i = 0; i < n; ++i)
        q_out[i] = static_cast<int8_t>(q[i]);
    return best_scale;
}

}  // namespace loom::quant
