#include <immintrin.h>

#include <cmath>

#include "kernels/ops.h"
#include "kernels/simd_exp.h"
#include "kernels/vector.h"

namespace loom {

namespace {

float dot(const float* a, const float* b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    float result = _mm_cvtss_f32(sum);
    for (; i < n; ++i)
        result += a[i] * b[i];
    return result;
}

void axpy(float a, const float* x, float* y, int64_t n) {
    __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i)
        y[i] += a * x[i];
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

void softmax(float* x, int64_t n) {
    if (n <= 0) return;
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
}

const VectorKernels kAvx2{dot, axpy, silu_mul, softmax, KernelLevel::Avx2};

}  // namespace

const VectorKernels* avx2_vector_kernels() {
    return &kAvx2;
}

}  // namespace loom
