// The K-quant super-blocks seen by the SIMD kernels: their 256 codes unpacked into eight 256-bit vectors in
// element order, and their sub-block scales (and minimums) as sixteen 16-bit values, one per 16 elements (a
// 32-element sub-block's value appears twice), so that every format looks the same to the kernels:
//
//   value(e) = d * scale16[e / 16] * (code(e) - kOffset) - dmin * min16[e / 16]
//
// Include only from files compiled with AVX2 or better; templates over a dot policy of simd_int8.h.
#pragma once

#include <cstddef>

#include "kernels/quant/simd_int8.h"
#include "tensor/quant_blocks.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

struct KScales {
    __m256i scale16;  // 16 x int16
    __m256i min16;    // 16 x int16 (formats with a minimum)
    float d = 0.0f, dmin = 0.0f;
};

inline float half_at(const std::byte* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// Moves bit `From` of every byte to bit `To` and clears the others.
template <int From, int To>
__m256i move_bit(__m256i v) {
    __m256i shifted = From >= To ? _mm256_srli_epi16(v, From - To) : _mm256_slli_epi16(v, To - From);
    return _mm256_and_si256(shifted, _mm256_set1_epi8(static_cast<char>(1 << To)));
}

// Eight 8-bit values as 16 int16, each twice: (v0, v0, v1, v1, ..., v7, v7).
inline __m256i twice16(uint32_t low4, uint32_t high4) {
    __m128i bytes = _mm_set_epi32(0, 0, static_cast<int>(high4), static_cast<int>(low4));
    return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(bytes, bytes));
}

// Q2_K: 2-bit codes, 4-bit scale and minimum per 16 elements.
struct Q2_KFormat {
    static constexpr size_t kBytes = sizeof(BlockQ2_K);
    static constexpr int kSub = 16, kOffset = 0;
    static constexpr bool kMin = true;
    template <class Dot>
    static void codes(const std::byte* b, __m256i q[8]) {
        const __m256i three = _mm256_set1_epi8(3);
        for (int n = 0; n < 2; ++n) {
            __m256i qs = load256(b + offsetof(BlockQ2_K, qs) + 32 * n);
            q[4 * n + 0] = _mm256_and_si256(qs, three);
            q[4 * n + 1] = _mm256_and_si256(_mm256_srli_epi16(qs, 2), three);
            q[4 * n + 2] = _mm256_and_si256(_mm256_srli_epi16(qs, 4), three);
            q[4 * n + 3] = _mm256_and_si256(_mm256_srli_epi16(qs, 6), three);
        }
    }
    static KScales scales(const std::byte* b) {
        __m128i raw = load128(b + offsetof(BlockQ2_K, scales));
        const __m128i low = _mm_set1_epi8(15);
        return {_mm256_cvtepu8_epi16(_mm_and_si128(raw, low)),
                _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), low)),
                half_at(b + offsetof(BlockQ2_K, d)), half_at(b + offsetof(BlockQ2_K, dmin))};
    }
};

// Q3_K: 2 low bits as Q2_K plus a high bit from hmask (codes 0..7, offset 4), signed 6-bit scales.
struct Q3_KFormat {
    static constexpr size_t kBytes = sizeof(BlockQ3_K);
    static constexpr int kSub = 16, kOffset = 4;
    static constexpr bool kMin = false;
    template <int Bit>
    static __m256i high(__m256i hmask) {
        return move_bit<Bit, 2>(hmask);
    }
    template <class Dot>
    static void codes(const std::byte* b, __m256i q[8]) {
        const __m256i three = _mm256_set1_epi8(3);
        const __m256i hm = load256(b + offsetof(BlockQ3_K, hmask));
        __m256i qs = load256(b + offsetof(BlockQ3_K, qs));
        q[0] = _mm256_or_si256(_mm256_and_si256(qs, three), high<0>(hm));
        q[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 2), three), high<1>(hm));
        q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 4), three), high<2>(hm));
        q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 6), three), high<3>(hm));
        qs = load256(b + offsetof(BlockQ3_K, qs) + 32);
        q[4] = _mm256_or_si256(_mm256_and_si256(qs, three), high<4>(hm));
        q[5] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 2), three), high<5>(hm));
        q[6] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 4), three), high<6>(hm));
        q[7] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 6), three), high<7>(hm));
    }
    static KScales scales(const std::byte* b) {
        const std::byte* s = b + offsetof(BlockQ3_K, scales);
        uint32_t a0 = load_u32(s), a1 = load_u32(s + 4), a2 = load_u32(s + 8);
        const uint32_t nibbles = 0x0f0f0f0f, pairs = 0x03030303;
        uint32_t v0 = (a0 & nibbles) | ((a2 & pairs) << 4);                // scales 0..3
        uint32_t v1 = (a1 & nibbles) | (((a2 >> 2) & pairs) << 4);         // 4..7
        uint32_t v2 = ((a0 >> 4) & nibbles) | (((a2 >> 4) & pairs) << 4);  // 8..11
        uint32_t v3 = ((a1 >> 4) & nibbles) | (((a2 >> 6) & pairs) << 4);  // 12..15
        __m128i codes = _mm_setr_epi32(static_cast<int>(v0), static_cast<int>(v1), static_cast<int>(v2),
                                       static_cast<int>(v3));
        __m256i scale16 = _mm256_cvtepi8_epi16(_mm_sub_epi8(codes, _mm_set1_epi8(32)));
        return {scale16, _mm256_setzero_si256(), half_at(b + offsetof(BlockQ3_K, d)), 0.0f};
    }
};

// Q4_K and Q5_K: 4-bit codes (plus a 5th bit from qh for Q5_K), 6-bit scale and minimum per 32 elements.
template <bool kFifthBit>
struct Q45_KFormat {
    using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
    static constexpr size_t kBytes = sizeof(Block);
    static constexpr int kSub = 32, kOffset = 0;
    static constexpr bool kMin = true;
    template <int Bit>
    static __m256i fifth(__m256i qh) {
        return move_bit<Bit, 4>(qh);
    }
    template <class Dot>
    static void codes(const std::byte* b, __m256i q[8]) {
        const __m256i low = _mm256_set1_epi8(15);
        for (int c = 0; c < 4; ++c) {
            __m256i qs = load256(b + offsetof(Block, qs) + 32 * c);
            q[2 * c] = _mm256_and_si256(qs, low);
            q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(qs, 4), low);
        }
        if constexpr (kFifthBit) {
            __m256i qh = load256(b + offsetof(BlockQ5_K, qh));
            q[0] = _mm256_or_si256(q[0], fifth<0>(qh));
            q[1] = _mm256_or_si256(q[1], fifth<1>(qh));
            q[2] = _mm256_or_si256(q[2], fifth<2>(qh));
            q[3] = _mm256_or_si256(q[3], fifth<3>(qh));
            q[4] = _mm256_or_si256(q[4], fifth<4>(qh));
            q[5] = _mm256_or_si256(q[5], fifth<5>(qh));
            q[6] = _mm256_or_si256(q[6], fifth<6>(qh));
            q[7] = _mm256_or_si256(q[7], fifth<7>(qh));
        }
    }
    static KScales scales(const std::byte* b) {
        const std::byte* s = b + offsetof(Block, scales);
        uint32_t a0 = load_u32(s), a1 = load_u32(s + 4), a2 = load_u32(s + 8);
        uint32_t scale_low = a0 & 0x3f3f3f3f, scale_high = (a2 & 0x0f0f0f0f) | ((a0 >> 2) & 0x30303030);
        uint32_t min_low = a1 & 0x3f3f3f3f, min_high = ((a2 >> 4) & 0x0f0f0f0f) | ((a1 >> 2) & 0x30303030);
        return {twice16(scale_low, scale_high), twice16(min_low, min_high), half_at(b + offsetof(Block, d)),
                half_at(b + offsetof(Block, dmin))};
    }
};
using Q4_KFormat = Q45_KFormat<false>;
using Q5_KFormat = Q45_KFormat<true>;

// Q6_K: 4 low bits from ql, 2 high bits from qh (codes 0..63, offset 32), int8 scales.
struct Q6_KFormat {
    static constexpr size_t kBytes = sizeof(BlockQ6_K);
    static constexpr int kSub = 16, kOffset = 32;
    static constexpr bool kMin = false;
    template <class Dot>
    static void codes(const std::byte* b, __m256i q[8]) {
        const __m256i low = _mm256_set1_epi8(15), high = _mm256_set1_epi8(0x30);
        for (int n = 0; n < 2; ++n) {
            __m256i ql0 = load256(b + offsetof(BlockQ6_K, ql) + 64 * n);
            __m256i ql1 = load256(b + offsetof(BlockQ6_K, ql) + 64 * n + 32);
            __m256i qh = load256(b + offsetof(BlockQ6_K, qh) + 32 * n);
            q[4 * n + 0] =
                _mm256_or_si256(_mm256_and_si256(ql0, low), _mm256_and_si256(_mm256_slli_epi16(qh, 4), high));
            q[4 * n + 1] =
                _mm256_or_si256(_mm256_and_si256(ql1, low), _mm256_and_si256(_mm256_slli_epi16(qh, 2), high));
            q[4 * n + 2] =
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low), _mm256_and_si256(qh, high));
            q[4 * n + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low),
                                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), high));
        }
    }
    static KScales scales(const std::byte* b) {
        return {_mm256_cvtepi8_epi16(load128(b + offsetof(BlockQ6_K, scales))), _mm256_setzero_si256(),
                half_at(b + offsetof(BlockQ6_K, d)), 0.0f};
    }
};

// Where the fields of an activation super-block are.
constexpr size_t kQ8KScale = offsetof(BlockQ8_K, d);
constexpr size_t kQ8KCodes = offsetof(BlockQ8_K, qs);
constexpr size_t kQ8KSums = offsetof(BlockQ8_K, bsums);

}  // namespace
}  // namespace loom::simd
