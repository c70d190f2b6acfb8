// SIMD versions of the activation quantizers (kernels/quant/legacy_quants.cpp quantize_q8_0s and
// k_quants.cpp quantize_q8_k). They compute exactly the same bytes: the same float operations in the same
// order where it matters (amax is a max, which is exact in any order; the codes round to nearest even in
// both; the integer sums are exact). Include only from files compiled with AVX2 or better.
#pragma once

#include <cstddef>

#include "kernels/quant/simd_int8.h"
#include "tensor/quant_blocks.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

inline float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

inline int hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// Largest |x| of 8 * V floats; NaNs are ignored as by the scalar std::max loop (maxps returns its second
// operand when either is NaN).
template <int V>
float largest_magnitude(const float* x) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < V; ++i)
        m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + 8 * i), abs_mask), m);
    return hmax(m);
}

// Partial sums of 32 codes: the lanes of `first` add up to the sum of codes 0..15, those of `second`
// to 16..31.
struct CodeSums {
    __m256i first, second;
};

// 32 codes round(x * inverse) clamped to [-127, 127], stored as bytes.
inline CodeSums quantize32(const float* x, float inverse, int8_t* out) {
    const __m256 scale = _mm256_set1_ps(inverse), lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
    __m256i q[4];
    for (int i = 0; i < 4; ++i) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + 8 * i), scale);
        q[i] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));
    }
    // Pack 4 x 8 int32 to 32 int8; the packs work per 128-bit half, the permute restores element order.
    __m256i words = _mm256_packs_epi32(q[0], q[1]), words2 = _mm256_packs_epi32(q[2], q[3]);
    __m256i bytes = _mm256_packs_epi16(words, words2);
    bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), bytes);
    return {_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])};
}

inline void quantize_row_q8_0s(const float* x, int64_t k, std::byte* out) {
    for (int64_t b = 0; b < k / kLegacyBlock; ++b, x += kLegacyBlock) {
        float amax = largest_magnitude<4>(x);
        bool usable = amax > 0.0f && finite(amax);
        BlockQ8_0S block;
        block.d = usable ? amax / 127.0f : 0.0f;
        CodeSums sums = quantize32(x, usable ? 127.0f / amax : 0.0f, block.qs);
        block.sum = hsum_i32(_mm256_add_epi32(sums.first, sums.second));
        block.dsum = block.d * static_cast<float>(block.sum);
        std::memcpy(out + b * static_cast<int64_t>(sizeof block), &block, sizeof block);
    }
}

inline void quantize_row_q8_k(const float* x, int64_t k, std::byte* out) {
    for (int64_t b = 0; b < k / kSuperBlock; ++b, x += kSuperBlock) {
        float amax = largest_magnitude<32>(x);
        bool usable = amax > 0.0f && finite(amax);
        float inverse = usable ? 127.0f / amax : 0.0f;
        BlockQ8_K block;
        block.d = usable ? amax / 127.0f : 0.0f;
        for (int c = 0; c < 8; ++c) {
            CodeSums sums = quantize32(x + 32 * c, inverse, block.qs + 32 * c);
            block.bsums[2 * c] = static_cast<int16_t>(hsum_i32(sums.first));
            block.bsums[2 * c + 1] = static_cast<int16_t>(hsum_i32(sums.second));
        }
        std::memcpy(out + b * static_cast<int64_t>(sizeof block), &block, sizeof block);
    }
}

}  // namespace
}  // namespace loom::simd
