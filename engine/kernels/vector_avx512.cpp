#include <immintrin.h>

#include <cmath>

#include "kernels/simd_avx512.h"
#include "kernels/simd_exp.h"
#include "kernels/vector.h"

namespace loom {

namespace {

// Four rows at a time, each with its own accumulator, so that their multiply-adds and reductions overlap.
void dot_rows(const float* q, const float* rows, int64_t stride, int64_t count, int64_t n, float* out) {
    int64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        const float* r = rows + j * stride;
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t i = 0; i < n; i += 16) {
            const __mmask16 mask = avx512::first_lanes(n - i < 16 ? n - i : 16);
            const __m512 qv = _mm512_maskz_loadu_ps(mask, q + i);
            for (int k = 0; k < 4; ++k)
                acc[k] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(mask, r + k * stride + i), acc[k]);
        }
        for (int k = 0; k < 4; ++k)
            out[j + k] = avx512::reduce_add(acc[k]);
    }
    for (; j < count; ++j) {
        const float* r = rows + j * stride;
        __m512 acc = _mm512_setzero_ps();
        for (int64_t i = 0; i < n; i += 16) {
            const __mmask16 mask = avx512::first_lanes(n - i < 16 ? n - i : 16);
            acc =
                _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, q + i), _mm512_maskz_loadu_ps(mask, r + i), acc);
        }
        out[j] = avx512::reduce_add(acc);
    }
}

// 64 columns at a time held in registers while every row adds into them.
void sum_rows(const float* weights, const float* rows, int64_t stride, int64_t count, int64_t n, float* out) {
    for (int64_t i = 0; i < n; i += 64) {
        __mmask16 mask[4];
        __m512 acc[4];
        for (int c = 0; c < 4; ++c) {
            const int64_t left = n - i - 16 * c;
            mask[c] = avx512::first_lanes(left <= 0 ? 0 : left < 16 ? left : 16);
            acc[c] = _mm512_setzero_ps();
        }
        for (int64_t j = 0; j < count; ++j) {
            const __m512 w = _mm512_set1_ps(weights[j]);
            const float* r = rows + j * stride + i;
            for (int c = 0; c < 4; ++c)
                acc[c] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(mask[c], r + 16 * c), acc[c]);
        }
        for (int c = 0; c < 4; ++c)
            _mm512_mask_storeu_ps(out + i + 16 * c, mask[c], acc[c]);
    }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mask = avx512::first_lanes(n - i < 16 ? n - i : 16);
        __m512 g = _mm512_maskz_loadu_ps(mask, gate + i), u = _mm512_maskz_loadu_ps(mask, up + i);
        __m512 silu =
            _mm512_div_ps(g, _mm512_add_ps(one, simd_exp::exp(_mm512_sub_ps(_mm512_setzero_ps(), g))));
        _mm512_mask_storeu_ps(out + i, mask, _mm512_mul_ps(silu, u));
    }
}

void softmax(float* x, int64_t n) {
    if (n <= 0) return;
    __m512 max = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mask = avx512::first_lanes(n - i < 16 ? n - i : 16);
        max = _mm512_mask_max_ps(max, mask, max, _mm512_maskz_loadu_ps(mask, x + i));
    }
    const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(max));
    __m512 sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mask = avx512::first_lanes(n - i < 16 ? n - i : 16);
        __m512 e = simd_exp::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), top));
        e = _mm512_maskz_mov_ps(mask, e);
        sum = _mm512_add_ps(sum, e);
        _mm512_mask_storeu_ps(x + i, mask, e);
    }
    const __m512 inverse = _mm512_set1_ps(1.0f / avx512::reduce_add(sum));
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mask = avx512::first_lanes(n - i < 16 ? n - i : 16);
        _mm512_mask_storeu_ps(x + i, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inverse));
    }
}

const VectorKernels kAvx512{dot_rows, sum_rows, silu_mul, softmax, KernelLevel::Avx512};

}  // namespace

const VectorKernels* avx512_vector_kernels() {
    return &kAvx512;
}

}  // namespace loom
