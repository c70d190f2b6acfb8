// The K-quant super-blocks seen by the SIMD kernels.
//
// Q4_K, Q5_K and Q6_K are read as 8 interleaved rows (kernels/quant/interleaved.h), lane i = row i of a
// group block. Each describes its group block as
//   - kRounds rounds of code vectors: round_codes<R>(gb, visit) calls visit(slot, e, q) for vectors q that
//     hold elements e .. e + 3 of each row as unsigned bytes; within a round, the vectors of one slot all
//     belong to sub-block sub_block(R, slot), so a round's kSlots sub-blocks are finished together;
//   - GroupScales, loaded once: scale<J>() is sub-block J's scale per lane, min16<J>() the integer that
//     multiplies the activations' sum over the 16 elements J (the minimum, or offset times scale);
//   - minimum_terms(): sum_J min16<J> * bsum_J for T activation blocks, the format's fastest way.
// The one-token kernel (k_group_dot below, simd_gemv.h) and the panels of the prefill kernel (simd_gemm.h)
// are written once against this.
//
// Q2_K and Q3_K (kInterleaved false) are read as stored, one row at a time: their 256 codes unpacked into
// eight 256-bit vectors in element order, and their sub-block scales (and minimums) as sixteen 16-bit
// values, one per 16 elements, so that both look the same to the kernels:
//
//   value(e) = d * scale16[e / 16] * (code(e) - kOffset) - dmin * min16[e / 16]
//
// Include only from files compiled with AVX2 or better; templates over a dot policy of simd_int8.h.
#pragma once

#include <cstddef>

#include "kernels/quant/interleaved.h"
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

// Byte `Byte` of every 32-bit lane, zero- or sign-extended to 32 bits.
template <int Byte>
__m256i lane_byte_u32(__m256i v) {
    return _mm256_and_si256(_mm256_srli_epi32(v, 8 * Byte), _mm256_set1_epi32(0xff));
}
template <int Byte>
__m256i lane_byte_s32(__m256i v) {
    return _mm256_srai_epi32(_mm256_slli_epi32(v, 24 - 8 * Byte), 24);
}

// Where the fields of an activation super-block are.
constexpr size_t kQ8KScale = offsetof(BlockQ8_K, d);
constexpr size_t kQ8KCodes = offsetof(BlockQ8_K, qs);
constexpr size_t kQ8KSums = offsetof(BlockQ8_K, bsums);

// Four activation codes (elements e .. e + 3 of a Q8_K block) in every lane.
inline __m256i broadcast_codes(const std::byte* x, int e) {
    return _mm256_set1_epi32(load_i32(x + kQ8KCodes + e));
}

// Q2_K: 2-bit codes, 4-bit scale and minimum per 16 elements.
struct Q2_KFormat {
    static constexpr size_t kBytes = sizeof(BlockQ2_K);
    static constexpr int kSub = 16, kOffset = 0;
    static constexpr bool kMin = true, kInterleaved = false;
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
    static constexpr bool kMin = false, kInterleaved = false;
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
    static constexpr int kSub = 32, kOffset = 0;
    static constexpr bool kMin = true, kInterleaved = true;
    static constexpr size_t kGroupBlock = kInterleavedRows * sizeof(Block);
    static constexpr size_t kGroupD = interleaved_offset(offsetof(Block, d));
    static constexpr size_t kGroupDmin = interleaved_offset(offsetof(Block, dmin));  // the minimums' scale
    template <int Bit>
    static __m256i fifth(__m256i qh) {
        return move_bit<Bit, 4>(qh);
    }
    // Interleaved. Round c: word p of code chunk c holds elements 64c + 4p .. + 3 in its low nibbles (slot
    // 0, sub-block 2c) and 64c + 32 + 4p .. + 3 in its high nibbles (slot 1, sub-block 2c + 1); Q5_K's 5th
    // bits of those elements are bits 2c and 2c + 1 of high-bit word p.
    static constexpr int kRounds = 4, kSlots = 2;
    static constexpr int sub_block(int round, int slot) { return 2 * round + slot; }

    template <int Round, class Visit>
    [[gnu::always_inline]] static void round_codes(const std::byte* gb, Visit&& visit) {
        const std::byte* codes = gb + interleaved_offset(offsetof(Block, qs));
        [[maybe_unused]] const std::byte* high = gb + interleaved_offset(offsetof(BlockQ5_K, qh));
        const __m256i low4 = _mm256_set1_epi8(15);
        for (int p = 0; p < 8; ++p) {
            const __m256i w = load256(codes + 32 * (8 * Round + p));
            __m256i q_low = _mm256_and_si256(w, low4);
            __m256i q_high = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
            if constexpr (kFifthBit) {
                const __m256i h = load256(high + 32 * p);
                q_low = _mm256_or_si256(q_low, fifth<2 * Round>(h));
                q_high = _mm256_or_si256(q_high, fifth<2 * Round + 1>(h));
            }
            visit(0, 64 * Round + 4 * p, q_low);
            visit(1, 64 * Round + 32 + 4 * p, q_high);
        }
    }

    // Byte j of each lane: scale j (scales[0]) and 4 + j (scales[1]), minimum j and 4 + j: the 12-byte
    // packing of tensor/quant_blocks.h, for 8 rows at once.
    struct GroupScales {
        __m256i scales[2], mins[2];
    };
    static GroupScales group_scales(const std::byte* gb) {
        const std::byte* packed = gb + interleaved_offset(offsetof(Block, scales));
        const __m256i a0 = load256(packed), a1 = load256(packed + 32), a2 = load256(packed + 64);
        const __m256i low6 = _mm256_set1_epi8(63), low4 = _mm256_set1_epi8(15),
                      bits45 = _mm256_set1_epi8(0x30);
        return {
            {_mm256_and_si256(a0, low6),
             _mm256_or_si256(_mm256_and_si256(a2, low4), _mm256_and_si256(_mm256_srli_epi32(a0, 2), bits45))},
            {_mm256_and_si256(a1, low6),
             _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(a2, 4), low4),
                             _mm256_and_si256(_mm256_srli_epi32(a1, 2), bits45))}};
    }
    template <int J>
    static __m256i scale(const GroupScales& s) {
        return lane_byte_u32<J % 4>(s.scales[J / 4]);
    }
    template <int J16>
    static __m256i min16(const GroupScales& s) {
        return lane_byte_u32<(J16 / 2) % 4>(s.mins[J16 / 8]);
    }

    // The minimums as 16-bit pairs (m0, m2), (m1, m3), (m4, m6), (m5, m7) per lane times the same pairs of
    // the activations' sums per 32 elements.
    template <class Dot, int T>
    [[gnu::always_inline]] static void minimum_terms(const GroupScales& s, const std::byte* const* x,
                                                     __m256i* mins) {
        const __m256i even = _mm256_set1_epi32(0x00ff00ff);
        const __m256i min_pairs[4] = {
            _mm256_and_si256(s.mins[0], even), _mm256_and_si256(_mm256_srli_epi32(s.mins[0], 8), even),
            _mm256_and_si256(s.mins[1], even), _mm256_and_si256(_mm256_srli_epi32(s.mins[1], 8), even)};
        for (int t = 0; t < T; ++t) {
            // b_j = bsums[2j] + bsums[2j + 1] as int32, then as int16 b0 b1 b2 b3 (twice) | b4 .. b7 (twice),
            // then the words (b0, b2) (b1, b3) in the low half and (b4, b6) (b5, b7) in the high half.
            const __m256i b32 = _mm256_madd_epi16(load256(x[t] + kQ8KSums), _mm256_set1_epi16(1));
            const __m256i pairs =
                _mm256_shuffle_epi8(_mm256_packs_epi32(b32, b32),
                                    _mm256_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 0, 1, 4, 5, 2, 3, 6, 7, 0, 1, 4,
                                                     5, 2, 3, 6, 7, 0, 1, 4, 5, 2, 3, 6, 7));
            constexpr int kWord[4] = {0, 1, 4, 5};
            __m256i m = _mm256_setzero_si256();
            for (int i = 0; i < 4; ++i)
                m = Dot::dot_s16(m, min_pairs[i],
                                 _mm256_permutevar8x32_epi32(pairs, _mm256_set1_epi32(kWord[i])));
            mins[t] = m;
        }
    }
};
using Q4_KFormat = Q45_KFormat<false>;
using Q5_KFormat = Q45_KFormat<true>;

// Q6_K: 4 low bits from ql, 2 high bits from qh (codes 0..63, offset 32), int8 scales.
struct Q6_KFormat {
    static constexpr int kSub = 16, kOffset = 32;
    static constexpr bool kMin = false, kInterleaved = true;
    static constexpr size_t kGroupBlock = kInterleavedRows * sizeof(BlockQ6_K);
    static constexpr size_t kGroupD = interleaved_offset(offsetof(BlockQ6_K, d));
    static constexpr size_t kGroupDmin = kGroupD;  // the offset's scale
    // Interleaved. Round 2n + h: in half n (elements 128n .. 128n + 127), word p (4h <= p < 4h + 4) of ql's
    // first and second 32 bytes and word p of qh give elements 128n + 32s + 4p .. + 3 for slot s = 0..3
    // (the low 4 bits from ql's low or high nibbles, the high 2 bits from qh bits 2s), which belong to
    // sub-block 8n + 2s + h.
    static constexpr int kRounds = 4, kSlots = 4;
    static constexpr int sub_block(int round, int slot) { return 8 * (round / 2) + 2 * slot + round % 2; }

    template <int Round, class Visit>
    [[gnu::always_inline]] static void round_codes(const std::byte* gb, Visit&& visit) {
        constexpr int n = Round / 2, h = Round % 2;
        const std::byte* ql = gb + interleaved_offset(offsetof(BlockQ6_K, ql));
        const std::byte* qh = gb + interleaved_offset(offsetof(BlockQ6_K, qh));
        const __m256i low4 = _mm256_set1_epi8(15), high2 = _mm256_set1_epi8(0x30);
        for (int p = 4 * h; p < 4 * h + 4; ++p) {
            const __m256i l0 = load256(ql + 32 * (16 * n + p)), l1 = load256(ql + 32 * (16 * n + 8 + p));
            const __m256i hb = load256(qh + 32 * (8 * n + p));
            visit(0, 128 * n + 4 * p,
                  _mm256_or_si256(_mm256_and_si256(l0, low4),
                                  _mm256_and_si256(_mm256_slli_epi16(hb, 4), high2)));
            visit(1, 128 * n + 32 + 4 * p,
                  _mm256_or_si256(_mm256_and_si256(l1, low4),
                                  _mm256_and_si256(_mm256_slli_epi16(hb, 2), high2)));
            visit(2, 128 * n + 64 + 4 * p,
                  _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                                  _mm256_and_si256(hb, high2)));
            visit(3, 128 * n + 96 + 4 * p,
                  _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                  _mm256_and_si256(_mm256_srli_epi16(hb, 2), high2)));
        }
    }

    // Byte i of word w of each lane: the int8 scale of sub-block 4w + i.
    struct GroupScales {
        __m256i words[4];
    };
    static GroupScales group_scales(const std::byte* gb) {
        const std::byte* sc = gb + interleaved_offset(offsetof(BlockQ6_K, scales));
        return {{load256(sc), load256(sc + 32), load256(sc + 64), load256(sc + 96)}};
    }
    template <int J>
    static __m256i scale(const GroupScales& s) {
        return lane_byte_s32<J % 4>(s.words[J / 4]);
    }
    template <int J16>
    static __m256i min16(const GroupScales& s) {
        return _mm256_slli_epi32(scale<J16>(s), 5);  // kOffset * scale
    }

    // The offset term 32 * sum_j scale_j * bsum_j, with the scales as sign-extended 16-bit pairs
    // (s_4w, s_4w+2) and (s_4w+1, s_4w+3) and the activations' sums arranged to match.
    template <class Dot, int T>
    [[gnu::always_inline]] static void minimum_terms(const GroupScales& s, const std::byte* const* x,
                                                     __m256i* mins) {
        __m256i scale_pairs[8];
        for (int w = 0; w < 4; ++w) {
            scale_pairs[2 * w] = _mm256_srai_epi16(_mm256_slli_epi16(s.words[w], 8), 8);
            scale_pairs[2 * w + 1] = _mm256_srai_epi16(s.words[w], 8);
        }
        const __m256i order = _mm256_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15, 0, 1, 4,
                                               5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
        for (int t = 0; t < T; ++t) {
            // Words (b0, b2) (b1, b3) (b4, b6) (b5, b7) | (b8, b10) ... (b13, b15).
            const __m256i pairs = _mm256_shuffle_epi8(load256(x[t] + kQ8KSums), order);
            __m256i offset = _mm256_setzero_si256();
            for (int i = 0; i < 8; ++i)
                offset = Dot::dot_s16(offset, scale_pairs[i],
                                      _mm256_permutevar8x32_epi32(pairs, _mm256_set1_epi32(i)));
            mins[t] = _mm256_slli_epi32(offset, 5);
        }
    }
};

// The integer parts of the dot products of one interleaved group block (8 rows) with T activation
// super-blocks, for the formats with kInterleaved:
//   sum[t]  = sum_j scale_j * dot_j     dot_j: the codes of sub-block j times the activation codes, one
//                                       VPDPBUSD (or maddubs + madd) per 4 codes of 8 rows
//   mins[t] = sum_J min16_J * bsum_J    (minimum_terms())
// A row's dot product with the super-block is then d * d_x * sum - dmin * d_x * mins (Q6_K: d for dmin).
template <class F, class Dot, int T>
[[gnu::always_inline]] inline void k_group_dot(const std::byte* gb, const std::byte* const* x, __m256i* sum,
                                               __m256i* mins) {
    const typename F::GroupScales scales = F::group_scales(gb);
    for (int t = 0; t < T; ++t)
        sum[t] = _mm256_setzero_si256();
    for_each_index<F::kRounds>([&](auto round) {
        __m256i dots[F::kSlots][T];
        for (int s = 0; s < F::kSlots; ++s)
            for (int t = 0; t < T; ++t)
                dots[s][t] = _mm256_setzero_si256();
        F::template round_codes<round>(gb, [&](int slot, int element, __m256i q) {
            for (int t = 0; t < T; ++t)
                dots[slot][t] = Dot::dot_u8s8(dots[slot][t], q, broadcast_codes(x[t], element));
        });
        for_each_index<F::kSlots>([&](auto slot) {
            const __m256i scale = F::template scale<F::sub_block(round, slot)>(scales);
            for (int t = 0; t < T; ++t)
                sum[t] = _mm256_add_epi32(sum[t], _mm256_mullo_epi32(dots[slot][t], scale));
        });
    });
    F::template minimum_terms<Dot, T>(scales, x, mins);
}

}  // namespace
}  // namespace loom::simd
