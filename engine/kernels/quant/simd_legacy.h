// The 32-element formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) as the SIMD kernels see them: 8 rows interleaved
// (kernels/quant/interleaved.h), one "group block" per 32-element block column. Include only from files
// compiled with AVX2 or better.
#pragma once

#include <cstddef>
#include <utility>

#include "kernels/quant/interleaved.h"
#include "kernels/quant/simd_int8.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

// Each format: its interleaved layout, the offset subtracted from codes (0 when the format has a minimum
// instead), whether it has a minimum, and whether its codes are signed bytes (Q8_0).
template <InterleavedFormat L, int Offset>
struct LegacyFormat {
    static constexpr InterleavedFormat kLayout = L;
    static constexpr int kOffset = Offset;
    static constexpr bool kMin = L.has_min, kSigned = L.code_bits == 8;
};
using Q8_0Format = LegacyFormat<kInterleavedQ8_0, 0>;
using Q4_0Format = LegacyFormat<kInterleavedQ4_0, 8>;
using Q4_1Format = LegacyFormat<kInterleavedQ4_1, 0>;
using Q5_0Format = LegacyFormat<kInterleavedQ5_0, 16>;
using Q5_1Format = LegacyFormat<kInterleavedQ5_1, 0>;

// Calls f(std::integral_constant<int, I>{}) for I = 0 .. N - 1: loops whose index must be a constant
// (shift counts, offsets).
template <int N, class Fn>
[[gnu::always_inline]] inline void for_each_index(Fn&& f) {
    [&]<int... I>(std::integer_sequence<int, I...>) {
        (f(std::integral_constant<int, I>{}), ...);
    }
    (std::make_integer_sequence<int, N>{});
}

// The codes of one group block: q[g] holds elements 4g .. 4g+3 of each of the 8 rows (row = 32-bit lane),
// as unsigned bytes, except Q8_0's, which stay signed.
//   4-bit formats: chunk c's low nibbles are elements 4c .. 4c+3, its high nibbles 16+4c .. 16+4c+3;
//   5-bit formats: plus bit p of each byte of the transposed high-bit words, moved to bit 4 (p = g);
//   Q8_0: chunk g as stored.
template <class F>
[[gnu::always_inline]] inline void group_codes(const std::byte* group_block, __m256i q[8]) {
    constexpr InterleavedFormat L = F::kLayout;
    const std::byte* codes = group_block + L.codes_offset();
    if constexpr (L.code_bits == 8) {
        for_each_index<8>([&](auto g) { q[g] = load256(codes + 32 * g); });
    } else {
        const __m256i nibble = _mm256_set1_epi8(15);
        for_each_index<4>([&](auto c) {
            __m256i w = load256(codes + 32 * c);
            q[c] = _mm256_and_si256(w, nibble);
            q[4 + c] = _mm256_and_si256(_mm256_srli_epi16(w, 4), nibble);
        });
        if constexpr (L.has_high_bits) {
            const __m256i high = load256(group_block + L.high_offset());
            const __m256i bit4 = _mm256_set1_epi8(16);
            for_each_index<8>([&](auto g) {
                constexpr int p = g;
                __m256i at4 = p <= 4 ? _mm256_slli_epi32(high, 4 - p) : _mm256_srli_epi32(high, p - 4);
                q[g] = _mm256_or_si256(q[g], _mm256_and_si256(at4, bit4));
            });
        }
    }
}

// The 8 fp16 scales (or, at offset 16, minimums) of a group block as floats.
inline __m256 group_halves(const std::byte* p) {
    return _mm256_cvtph_ps(load128(p));
}

}  // namespace
}  // namespace loom::simd
