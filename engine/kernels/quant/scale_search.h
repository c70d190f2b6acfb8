// Choosing the scales of quantized blocks so that the rounded values stay close to the originals.
//
// Taking the scale from the block's extremes (max / 7 for 3-bit codes, say) spends the code range on the one
// largest value and rounds everything else coarsely. The K-quant formats were designed to be filled by a
// search instead: try a range of candidate scales around the min/max one, round with each, solve the weighted
// least-squares problem for the best scale (and minimum) given those codes, and keep the candidate with the
// smallest weighted squared error. These functions implement that search for the two shapes of sub-block:
// "scale and minimum" (Q2_K, Q4_K, Q5_K) and "signed scale" (Q3_K, Q6_K).
#pragma once

#include <cmath>
#include <cstdint>

namespace loom::quant {

// Round to the nearest integer, ties to even, after clamping to [lo, hi] (NaN becomes lo). Written with
// comparisons that map to the SIMD min/max instructions and the float "magic number" rounding trick, so that
// loops over it vectorize (std::fmin/fmax and nearbyint would not); the SIMD activation quantizers compute
// exactly the same values.
inline int round_clamped(float v, float lo, float hi) {
    v = v > lo ? v : lo;  // NaN compares false: lo
    v = v < hi ? v : hi;
    return static_cast<int>((v + 12582912.0f) - 12582912.0f);  // 1.5 * 2^23: exact for |v| < 2^22
}

// Importance of each value in the squared error: every value counts, larger ones more, so that the few
// large weights of a block (which matter most in a dot product) are not sacrificed to the many small ones.
void importance_weights(const float* x, int n, float* w);

// Fits x[i] ~ scale * q[i] - min with integer codes 0 <= q[i] <= qmax, scale >= 0 and min >= 0 (the formats
// store a non-negative minimum that is subtracted), minimizing sum w[i] * (scale * q[i] - min - x[i])^2.
// Writes the codes to q (n <= 32).
struct ScaleMinFit {
    float scale = 0.0f;
    float min = 0.0f;
};
ScaleMinFit fit_scale_min(const float* x, const float* w, int n, int qmax, uint8_t* q);

// Fits x[i] ~ scale * q[i] with codes -qneg <= q[i] <= qneg - 1 (the asymmetric range of two's complement
// codes: the value of largest magnitude is mapped to the -qneg end, whose sign the scale absorbs). Returns
// the scale, possibly negative; writes the codes (n <= 32).
float fit_scale_signed(const float* x, const float* w, int n, int qneg, int8_t* q);

}  // namespace loom::quant
