#include <immintrin.h>

#include <cmath>

#include "kernels/simd_avx512.h"
#include "kernels/simd_exp.h"
#include "kernels/vector.h"

namespace loom {

namespace {

// The sums of 16 vectors, lane r of the result holding the sum of v[r]: pairs of vectors are interleaved and
// added (their lanes halve each time), 45 instructions where 16 separate reductions take about 160.
__m512 sum_each(const __m512 (&v)[16]) {
    __m512 pairs[8];  // per 128-bit lane: partial sums of v[2p] and v[2p+1], interleaved
    for (int p = 0; p < 8; ++p)
        pairs[p] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * p], v[2 * p + 1]),
                                 _mm512_unpackhi_ps(v[2 * p], v[2 * p + 1]));
    __m512 quads[4];  // per 128-bit lane: the lane's sums of v[4k] .. v[4k+3], in order
    for (int k = 0; k < 4; ++k)
        quads[k] = _mm512_add_ps(_mm512_shuffle_ps(pairs[2 * k], pairs[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                                 _mm512_shuffle_ps(pairs[2 * k], pairs[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // Then across the four 128-bit lanes: halves, then quarters.
    const __m512 low = _mm512_add_ps(_mm512_shuffle_f32x4(quads[0], quads[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                     _mm512_shuffle_f32x4(quads[0], quads[1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512 high = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2], quads[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                      _mm512_shuffle_f32x4(quads[2], quads[3], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(low, high, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(low, high, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Loads of 16 floats: plain ones while whole vectors fit, masked ones only for the last, partial vector.
// (Masked loads inside the loops made the attention kernels 1.3x slower on the Zen 5 development machine.)
template <bool kWhole>
__m512 load(__mmask16 mask, const float* p) {
    if constexpr (kWhole)
        return _mm512_loadu_ps(p);
    else
        return _mm512_maskz_loadu_ps(mask, p);
}

// `acc[k] += q . rows[k]` over columns [i, i + 16) for Rows rows `stride` apart.
template <int Rows, bool kWhole>
void dot_step(const float* q, const float* r, int64_t stride, int64_t i, __mmask16 mask,
              __m512 (&acc)[Rows]) {
    const __m512 qv = load<kWhole>(mask, q + i);
    for (int k = 0; k < Rows; ++k)
        acc[k] = _mm512_fmadd_ps(qv, load<kWhole>(mask, r + k * stride + i), acc[k]);
}

// The products of q with Rows rows, one accumulator per row.
template <int Rows>
void dot_block(const float* q, const float* r, int64_t stride, int64_t n, __m512 (&acc)[Rows]) {
    for (int k = 0; k < Rows; ++k)
        acc[k] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        dot_step<Rows, true>(q, r, stride, i, 0, acc);
    if (i < n) dot_step<Rows, false>(q, r, stride, i, avx512::first_lanes(n - i), acc);
}

// Sixteen rows at a time, each with its own accumulator, reduced together (sum_each); then four at a
// time, then one, each reduced on its own.
void dot_rows(const float* q, const float* rows, int64_t stride, int64_t count, int64_t n, float* out) {
    int64_t j = 0;
    for (; j + 16 <= count; j += 16) {
        __m512 acc[16];
        dot_block(q, rows + j * stride, stride, n, acc);
        _mm512_storeu_ps(out + j, sum_each(acc));
    }
    for (; j + 4 <= count; j += 4) {
        __m512 acc[4];
        dot_block(q, rows + j * stride, stride, n, acc);
        for (int k = 0; k < 4; ++k)
            out[j + k] = avx512::reduce_add(acc[k]);
    }
    for (; j < count; ++j) {
        __m512 acc[1];
        dot_block(q, rows + j * stride, stride, n, acc);
        out[j] = avx512::reduce_add(acc[0]);
    }
}

// Columns [i, i + 64) of sum_rows: held in registers while every row adds into them; even and odd rows into
// separate accumulators, so that each chain of multiply-adds waits for its previous one half as often.
template <bool kWhole>
void sum_columns(const float* weights, const float* rows, int64_t stride, int64_t count, int64_t n, int64_t i,
                 float* out) {
    __mmask16 mask[4];
    __m512 even[4], odd[4];
    for (int c = 0; c < 4; ++c) {
        const int64_t left = n - i - 16 * c;
        mask[c] = avx512::first_lanes(left <= 0 ? 0 : left < 16 ? left : 16);
        even[c] = odd[c] = _mm512_setzero_ps();
    }
    int64_t j = 0;
    for (; j + 2 <= count; j += 2) {
        const __m512 w0 = _mm512_set1_ps(weights[j]), w1 = _mm512_set1_ps(weights[j + 1]);
        const float* r = rows + j * stride + i;
        for (int c = 0; c < 4; ++c) {
            even[c] = _mm512_fmadd_ps(w0, load<kWhole>(mask[c], r + 16 * c), even[c]);
            odd[c] = _mm512_fmadd_ps(w1, load<kWhole>(mask[c], r + stride + 16 * c), odd[c]);
        }
    }
    if (j < count) {
        const __m512 w = _mm512_set1_ps(weights[j]);
        const float* r = rows + j * stride + i;
        for (int c = 0; c < 4; ++c)
            even[c] = _mm512_fmadd_ps(w, load<kWhole>(mask[c], r + 16 * c), even[c]);
    }
    for (int c = 0; c < 4; ++c)
        _mm512_mask_storeu_ps(out + i + 16 * c, mask[c], _mm512_add_ps(even[c], odd[c]));
}

void sum_rows(const float* weights, const float* rows, int64_t stride, int64_t count, int64_t n, float* out) {
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
        sum_columns<true>(weights, rows, stride, count, n, i, out);
    if (i < n) sum_columns<false>(weights, rows, stride, count, n, i, out);
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
    const __m512 one = _mm512_set1_ps(1.0f);
    auto step = [&]<bool kWhole>(int64_t i, __mmask16 mask) {
        const __m512 g = load<kWhole>(mask, gate + i), u = load<kWhole>(mask, up + i);
        const __m512 silu =
            _mm512_div_ps(g, _mm512_add_ps(one, simd_exp::exp(_mm512_sub_ps(_mm512_setzero_ps(), g))));
        _mm512_mask_storeu_ps(out + i, mask, _mm512_mul_ps(silu, u));
    };
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        step.template operator()<true>(i, 0xffff);
    if (i < n) step.template operator()<false>(i, avx512::first_lanes(n - i));
}

float softmax(float* x, int64_t n) {
    if (n <= 0) return -INFINITY;
    const int64_t whole = n / 16 * 16;
    const __mmask16 tail = avx512::first_lanes(n - whole);
    __m512 max = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < whole; i += 16)
        max = _mm512_max_ps(max, _mm512_loadu_ps(x + i));
    if (tail) max = _mm512_mask_max_ps(max, tail, max, _mm512_maskz_loadu_ps(tail, x + whole));
    const float largest = _mm512_reduce_max_ps(max);
    const __m512 top = _mm512_set1_ps(largest);
    __m512 sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < whole; i += 16) {
        const __m512 e = simd_exp::exp(_mm512_sub_ps(_mm512_loadu_ps(x + i), top));
        sum = _mm512_add_ps(sum, e);
        _mm512_storeu_ps(x + i, e);
    }
    if (tail) {
        const __m512 e = _mm512_maskz_mov_ps(
            tail, simd_exp::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + whole), top)));
        sum = _mm512_add_ps(sum, e);
        _mm512_mask_storeu_ps(x + whole, tail, e);
    }
    const float total = avx512::reduce_add(sum);
    const __m512 inverse = _mm512_set1_ps(1.0f / total);
    for (int64_t i = 0; i < whole; i += 16)
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inverse));
    if (tail)
        _mm512_mask_storeu_ps(x + whole, tail,
                              _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + whole), inverse));
    return largest + std::log(total);
}

// As rms_norm_row, with the squares summed in double in 16 lanes instead of one: the scalar sum was a chain
// of dependent double additions, about 2 us for a row of 896 (two norms per layer of every token).
void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out) {
    __m512d low_sum = _mm512_setzero_pd(), high_sum = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512d low = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
        const __m512d high =
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
        low_sum = _mm512_fmadd_pd(low, low, low_sum);
        high_sum = _mm512_fmadd_pd(high, high, high_sum);
    }
    const __m512d sum8 = _mm512_add_pd(low_sum, high_sum);
    const __m256d sum4 = _mm256_add_pd(_mm512_castpd512_pd256(sum8), _mm512_extractf64x4_pd(sum8, 1));
    const __m128d sum2 = _mm_add_pd(_mm256_castpd256_pd128(sum4), _mm256_extractf128_pd(sum4, 1));
    double sum_squares = _mm_cvtsd_f64(_mm_add_sd(sum2, _mm_unpackhi_pd(sum2, sum2)));
    for (int64_t j = i; j < n; ++j)
        sum_squares += static_cast<double>(x[j]) * x[j];
    const __m512 scale =
        _mm512_set1_ps(static_cast<float>(1.0 / std::sqrt(sum_squares / static_cast<double>(n) + eps)));
    auto step = [&]<bool kWhole>(int64_t at, __mmask16 mask) {
        const __m512 v = load<kWhole>(mask, x + at), w = load<kWhole>(mask, weight + at);
        _mm512_mask_storeu_ps(out + at, mask, _mm512_mul_ps(_mm512_mul_ps(v, scale), w));
    };
    for (i = 0; i + 16 <= n; i += 16)
        step.template operator()<true>(i, 0xffff);
    if (i < n) step.template operator()<false>(i, avx512::first_lanes(n - i));
}

// Two passes over the logits, 16 at a time: their largest value (max_ps keeps its second operand where the
// first is NaN, so NaNs drop out), then the first place that holds it. Greedy decoding calls this once a
// token over the whole vocabulary (152k logits, from L2): std::max_element took about 0.1 ms, 1-2 % of a
// token of a 0.5B model.
int64_t argmax(const float* x, int64_t n) {
    const int64_t whole = n / 16 * 16;
    const __mmask16 tail = avx512::first_lanes(n - whole);
    __m512 top = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < whole; i += 16)
        top = _mm512_max_ps(_mm512_loadu_ps(x + i), top);
    if (tail) top = _mm512_mask_max_ps(top, tail, _mm512_maskz_loadu_ps(tail, x + whole), top);
    const __m512 largest = _mm512_set1_ps(_mm512_reduce_max_ps(top));
    for (int64_t i = 0; i < whole; i += 16)
        if (const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), largest, _CMP_EQ_OQ))
            return i + __builtin_ctz(hit);
    if (tail)
        if (const __mmask16 hit =
                _mm512_mask_cmp_ps_mask(tail, _mm512_maskz_loadu_ps(tail, x + whole), largest, _CMP_EQ_OQ))
            return whole + __builtin_ctz(hit);
    return 0;  // no number at all
}

const VectorKernels kAvx512{dot_rows, sum_rows, silu_mul, softmax, rms_norm, argmax, KernelLevel::Avx512};

}  // namespace

const VectorKernels* avx512_vector_kernels() {
    return &kAvx512;
}

}  // namespace loom
