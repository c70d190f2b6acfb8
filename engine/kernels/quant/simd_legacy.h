// The 32-element formats seen by the SIMD kernels: where a block keeps its scale (and minimum), and its 32
// codes unpacked into one 256-bit vector in element order. Include only from files compiled with AVX2 or
// better; templates over a dot policy of simd_int8.h.
#pragma once

#include <cstddef>

#include "kernels/quant/simd_int8.h"
#include "tensor/quant_blocks.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

// 4-bit codes of 16 bytes: element i < 16 is the low nibble of byte i, element i + 16 its high nibble. The 16
// bytes go to both halves of the vector; shifting the upper half right by 4 brings the high nibbles down.
inline __m256i nibbles32(const std::byte* qs) {
    __m256i both = _mm256_broadcastsi128_si256(load128(qs));
    return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(15));
}

// Each format: block bytes, the offset subtracted from codes (0 when the format has a minimum instead),
// whether it has a minimum (an fp16 right after the scale), whether codes are signed bytes (Q8_0), and
// `codes`, the 32 codes of a block (unsigned unless kSigned).
struct Q8_0Format {
    static constexpr size_t kBytes = sizeof(BlockQ8_0);
    static constexpr int kOffset = 0;
    static constexpr bool kMin = false, kSigned = true;
    template <class Dot>
    static __m256i codes(const std::byte* block) {
        return load256(block + offsetof(BlockQ8_0, qs));
    }
};

struct Q4_0Format {
    static constexpr size_t kBytes = sizeof(BlockQ4_0);
    static constexpr int kOffset = 8;
    static constexpr bool kMin = false, kSigned = false;
    template <class Dot>
    static __m256i codes(const std::byte* block) {
        return nibbles32(block + offsetof(BlockQ4_0, qs));
    }
};

struct Q4_1Format {
    static constexpr size_t kBytes = sizeof(BlockQ4_1);
    static constexpr int kOffset = 0;
    static constexpr bool kMin = true, kSigned = false;
    template <class Dot>
    static __m256i codes(const std::byte* block) {
        return nibbles32(block + offsetof(BlockQ4_1, qs));
    }
};

struct Q5_0Format {
    static constexpr size_t kBytes = sizeof(BlockQ5_0);
    static constexpr int kOffset = 16;
    static constexpr bool kMin = false, kSigned = false;
    template <class Dot>
    static __m256i codes(const std::byte* block) {
        __m256i high = Dot::bits_to_bytes(load_u32(block + offsetof(BlockQ5_0, qh)), 16);
        return _mm256_or_si256(nibbles32(block + offsetof(BlockQ5_0, qs)), high);
    }
};

struct Q5_1Format {
    static constexpr size_t kBytes = sizeof(BlockQ5_1);
    static constexpr int kOffset = 0;
    static constexpr bool kMin = true, kSigned = false;
    template <class Dot>
    static __m256i codes(const std::byte* block) {
        __m256i high = Dot::bits_to_bytes(load_u32(block + offsetof(BlockQ5_1, qh)), 16);
        return _mm256_or_si256(nibbles32(block + offsetof(BlockQ5_1, qs)), high);
    }
};

static_assert(offsetof(BlockQ4_1, m) == 2 && offsetof(BlockQ5_1, m) == 2, "the minimum follows the scale");

}  // namespace
}  // namespace loom::simd
