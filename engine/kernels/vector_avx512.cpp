#include <immintrin.h>

#include <cmath>

#include "kernels/simd_avx512.h"
#include "kernels/simd_exp.h"
#include "kernels/vector.h"

namespace loom {

namespace {

float dot(const float* a, const float* b, int64_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i + 16 <= n; i += 16)
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    if (i < n) {
        __mmask16 mask = avx512::first_lanes(n - i);
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc1);
    }
    return avx512::reduce_add(_mm512_add_ps(acc0, acc1));
}

void axpy(float a, const float* x, float* y, int64_t n) {
    __m512 av = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 mask = avx512::first_lanes(n - i);
        __m512 result =
            _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(mask, x + i), _mm512_maskz_loadu_ps(mask, y + i));
        _mm512_mask_storeu_ps(y + i, mask, result);
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

const VectorKernels kAvx512{dot, axpy, silu_mul, softmax, KernelLevel::Avx512};

}  // namespace

const VectorKernels* avx512_vector_kernels() {
    return &kAvx512;
}

}  // namespace loom
