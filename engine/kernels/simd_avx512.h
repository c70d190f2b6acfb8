// Small helpers shared by the AVX-512 kernels. Include only from files compiled with the AVX-512 flags.
#pragma once

#include <immintrin.h>

namespace loom::avx512 {

// Sum of the 16 lanes. (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its own header.)
inline float reduce_add(__m512 v) {
    v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    __m256 half = _mm512_castps512_ps256(v);
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

// A mask of the first `n` lanes, 0 <= n <= 16.
inline __mmask16 first_lanes(int64_t n) {
    return static_cast<__mmask16>((1u << n) - 1);
}

}  // namespace loom::avx512
