#include <immintrin.h>

#include <cmath>

#include "kernels/ops.h"
#include "kernels/simd_exp.h"
#include "kernels/vector.h"

namespace loom {

namespace {

float sum8(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

// Four rows at a time, each with its own accumulator, so that their multiply-adds and reductions overlap.
void dot_rows(const float* q, const float* rows, int64_t stride, int64_t count, int64_t n, float* out) {
    const int64_t whole = n / 8 * 8;
    int64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        const float* r = rows + j * stride;
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int64_t i = 0; i < whole; i += 8) {
            const __m256 qv = _mm256_loadu_ps(q + i);
            for (int k = 0; k < 4; ++k)
                acc[k] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(r + k * stride + i), acc[k]);
        }
        for (int k = 0; k < 4; ++k) {
            float sum = sum8(acc[k]);
            for (int64_t i = whole; i < n; ++i)
                sum += q[i] * r[k * stride + i];
            out[j + k] = sum;
        }
    }
    for (; j < count; ++j) {
        const float* r = rows + j * stride;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < whole; i += 8)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(r + i), acc);
        float sum = sum8(acc);
        for (int64_t i = whole; i < n; ++i)
            sum += q[i] * r[i];
        out[j] = sum;
    }
}

// 32 columns at a time held in registers while every row adds into them; the last columns one by one.
void sum_rows(const float* weights, const float* rows, int64_t stride, int64_t count, int64_t n, float* out) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int64_t j = 0; j < count; ++j) {
            const __m256 w = _mm256_set1_ps(weights[j]);
            const float* r = rows + j * stride + i;
            for (int c = 0; c < 4; ++c)
                acc[c] = _mm256_fmadd_ps(w, _mm256_loadu_ps(r + 8 * c), acc[c]);
        }
        for (int c = 0; c < 4; ++c)
            _mm256_storeu_ps(out + i + 8 * c, acc[c]);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t j = 0; j < count; ++j)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(weights[j]), _mm256_loadu_ps(rows + j * stride + i), acc);
        _mm256_storeu_ps(out + i, acc);
    }
    for (; i < n; ++i) {
        float sum = 0.0f;
        for (int64_t j = 0; j < count; ++j)
            sum += weights[j] * rows[j * stride + i];
        out[i] = sum;
    }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
    const __m256 one = _mm256_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 silu =
            _mm256_div_ps(g, _mm256_add_ps(one, simd_exp::exp(_mm256_sub_ps(_mm256_setzero_ps(), g))));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    if (i < n) swiglu_row(gate + i, up + i, n - i, out + i);
}

float softmax(float* x, int64_t n) {
    if (n <= 0) return -INFINITY;
    float top = x[0];
    for (int64_t i = 1; i < n; ++i)
        top = x[i] > top ? x[i] : top;
    const __m256 max = _mm256_set1_ps(top);
    __m256 sum8 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = simd_exp::exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), max));
        sum8 = _mm256_add_ps(sum8, e);
        _mm256_storeu_ps(x + i, e);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, sum8);
    float sum = 0.0f;
    for (float lane : lanes)
        sum += lane;
    for (; i < n; ++i) {
        x[i] = std::exp(x[i] - top);
        sum += x[i];
    }
    const float inverse = 1.0f / sum;
    for (int64_t j = 0; j < n; ++j)
        x[j] *= inverse;
    return top + std::log(sum);
}

// As the AVX-512 version: the squares summed in double, 8 lanes.
void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out) {
    __m256d low_sum = _mm256_setzero_pd(), high_sum = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256d low = _mm256_cvtps_pd(_mm_loadu_ps(x + i)),
                      high = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
        low_sum = _mm256_fmadd_pd(low, low, low_sum);
        high_sum = _mm256_fmadd_pd(high, high, high_sum);
    }
    const __m256d sum4 = _mm256_add_pd(low_sum, high_sum);
    const __m128d sum2 = _mm_add_pd(_mm256_castpd256_pd128(sum4), _mm256_extractf128_pd(sum4, 1));
    double sum_squares = _mm_cvtsd_f64(_mm_add_sd(sum2, _mm_unpackhi_pd(sum2, sum2)));
    for (int64_t j = i; j < n; ++j)
        sum_squares += static_cast<double>(x[j]) * x[j];
    const float scale = static_cast<float>(1.0 / std::sqrt(sum_squares / static_cast<double>(n) + eps));
    const __m256 scale8 = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), scale8),
                                                _mm256_loadu_ps(weight + i)));
    for (; i < n; ++i)
        out[i] = x[i] * scale * weight[i];
}

// As the AVX-512 version: the largest value (NaNs drop out of max_ps as its first operand), then the first
// place that holds it.
int64_t argmax(const float* x, int64_t n) {
    const int64_t whole = n / 8 * 8;
    __m256 top = _mm256_set1_ps(-INFINITY);
    for (int64_t i = 0; i < whole; i += 8)
        top = _mm256_max_ps(_mm256_loadu_ps(x + i), top);
    __m128 half = _mm_max_ps(_mm256_castps256_ps128(top), _mm256_extractf128_ps(top, 1));
    half = _mm_max_ps(half, _mm_movehl_ps(half, half));
    float largest = _mm_cvtss_f32(_mm_max_ss(half, _mm_movehdup_ps(half)));
    for (int64_t i = whole; i < n; ++i)
        if (x[i] > largest) largest = x[i];
    const __m256 wanted = _mm256_set1_ps(largest);
    for (int64_t i = 0; i < whole; i += 8)
        if (const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), wanted, _CMP_EQ_OQ)))
            return i + __builtin_ctz(static_cast<unsigned>(hit));
    for (int64_t i = whole; i < n; ++i)
        if (x[i] == largest) return i;
    return 0;  // no number at all
}

const VectorKernels kAvx2{dot_rows, sum_rows, silu_mul, softmax, rms_norm, argmax, KernelLevel::Avx2};

}  // namespace

const VectorKernels* avx2_vector_kernels() {
    return &kAvx2;
}

}  // namespace loom
