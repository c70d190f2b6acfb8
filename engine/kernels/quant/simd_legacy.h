// The 32-element formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) as the SIMD kernels see them: 8 rows interleaved
// (kernels/quant/interleaved.h), one "group block" per 32-element block column. Include only from files
// compiled with AVX2 or better.
#pragma once

#include <cstddef>
#include <type_traits>

#include "kernels/quant/interleaved.h"
#include "kernels/quant/simd_int8.h"
#include "tensor/quant_blocks.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

// Each format: its block, the offset subtracted from codes (0 when the format has a minimum instead), and
// where the fields of its group blocks are (interleaved.h: 8 times their offset in the stored block).
template <class Block, int Offset, bool Min, bool HighBits>
struct LegacyFormat {
    static constexpr int kOffset = Offset;
    static constexpr bool kMin = Min, kHighBits = HighBits;
    static constexpr bool kSigned = std::is_same_v<Block, BlockQ8_0>;  // codes are signed bytes
    static constexpr size_t kGroupBlock = kInterleavedRows * sizeof(Block);
    static constexpr size_t kStoredCodes = sizeof(Block) - (kSigned ? 32 : 16);
    static constexpr size_t kMins = interleaved_offset(2);                 // m[8], after d[8]
    static constexpr size_t kHigh = interleaved_offset(kStoredCodes - 4);  // the transposed high bits
    static constexpr size_t kCodes = interleaved_offset(kStoredCodes);     // 32 bytes per 4-byte word
};
using Q8_0Format = LegacyFormat<BlockQ8_0, 0, false, false>;
using Q4_0Format = LegacyFormat<BlockQ4_0, 8, false, false>;
using Q4_1Format = LegacyFormat<BlockQ4_1, 0, true, false>;
using Q5_0Format = LegacyFormat<BlockQ5_0, 16, false, true>;
using Q5_1Format = LegacyFormat<BlockQ5_1, 0, true, true>;

// The codes of one group block: q[g] holds elements 4g .. 4g+3 of each of the 8 rows (row = 32-bit lane),
// as unsigned bytes, except Q8_0's, which stay signed.
//   4-bit formats: chunk c's low nibbles are elements 4c .. 4c+3, its high nibbles 16+4c .. 16+4c+3;
//   5-bit formats: plus bit p of each byte of the transposed high-bit words, moved to bit 4 (p = g);
//   Q8_0: chunk g as stored.
template <class F>
[[gnu::always_inline]] inline void group_codes(const std::byte* group_block, __m256i q[8]) {
    const std::byte* codes = group_block + F::kCodes;
    if constexpr (F::kSigned) {
        for_each_index<8>([&](auto g) { q[g] = load256(codes + 32 * g); });
    } else {
        const __m256i nibble = _mm256_set1_epi8(15);
        for_each_index<4>([&](auto c) {
            __m256i w = load256(codes + 32 * c);
            q[c] = _mm256_and_si256(w, nibble);
            q[4 + c] = _mm256_and_si256(_mm256_srli_epi16(w, 4), nibble);
        });
        if constexpr (F::kHighBits) {
            const __m256i high = load256(group_block + F::kHigh);
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
