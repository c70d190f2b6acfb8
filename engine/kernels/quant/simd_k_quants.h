// The K-quant super-blocks seen by the SIMD kernels, as 8 interleaved rows (kernels/quant/interleaved.h),
// lane i = row i of a group block. Each format describes its group block as
//   - kRounds rounds of code vectors: round_codes<R>(gb, visit) calls visit(slot, e, q) for vectors q that
//     hold elements e .. e + 3 of each row as unsigned bytes; within a round, the vectors of one slot all
//     belong to sub-block sub_block(R, slot), so a round's kSlots sub-blocks are finished together;
//   - GroupScales, loaded once: scale<J>() is sub-block J's scale per lane, min16<J>() the integer that
//     multiplies the activations' sum over the 16 elements J (the minimum, or offset times scale);
//   - minimum_terms(): sum_J min16<J> * bsum_J for T activation blocks, the format's fastest way.
// The one-token kernel (k_group_dot below, simd_gemv.h) and the panels of the prefill kernel (simd_gemm.h)
// are written once against this. A row's dot product with a super-block is then
//
//   d * d_x * sum_J scale_J * dot_J  -  dmin * d_x * sum_J min16_J * bsum_J     (dmin = d for Q3_K, Q6_K)
//
// Include only from files compiled with AVX2 or better; templates over a dot policy of simd_int8.h.
#pragma once

#include <cstddef>

#include "kernels/quant/interleaved.h"
#include "kernels/quant/simd_int8.h"
#include "tensor/quant_blocks.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

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

// sum_J c_J * bsum_J over the 16 activation sums of a Q8_K block, for coefficients c given per lane as
// 16-bit pairs: (c_4w, c_4w+2) in pairs[2w] and (c_4w+1, c_4w+3) in pairs[2w + 1], the order in which
// shifts and masks take them out of the 4 bytes of a lane.
template <class Dot>
[[gnu::always_inline]] inline __m256i sums_times_pairs(const __m256i pairs[8], const std::byte* x) {
    // Words (b0, b2) (b1, b3) (b4, b6) (b5, b7) | (b8, b10) ... (b13, b15).
    const __m256i order = _mm256_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15, 0, 1, 4, 5,
                                           2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
    const __m256i sums = _mm256_shuffle_epi8(load256(x + kQ8KSums), order);
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < 8; ++i)
        acc = Dot::dot_s16(acc, pairs[i], _mm256_permutevar8x32_epi32(sums, _mm256_set1_epi32(i)));
    return acc;
}

// The signed bytes of 4 words (16 per lane) as the 16-bit pairs of sums_times_pairs.
inline void signed_byte_pairs(const __m256i words[4], __m256i pairs[8]) {
    for (int w = 0; w < 4; ++w) {
        pairs[2 * w] = _mm256_srai_epi16(_mm256_slli_epi16(words[w], 8), 8);
        pairs[2 * w + 1] = _mm256_srai_epi16(words[w], 8);
    }
}

// The scale part of the formats whose 16 sub-block scales are signed bytes and whose codes carry an offset
// (Q3_K: 4, Q6_K: 32): GroupScales holds, in byte i of word w of each lane, the scale of sub-block 4w + i;
// the minimum terms are offset * scale, summed against the activations' sums per 16 elements.
template <int Offset>
struct SignedScales {
    static_assert(Offset == 4 || Offset == 32);
    static constexpr int kOffset = Offset, kOffsetShift = Offset == 4 ? 2 : 5;
    struct GroupScales {
        __m256i words[4];
    };
    template <int J>
    static __m256i scale(const GroupScales& s) {
        return lane_byte_s32<J % 4>(s.words[J / 4]);
    }
    template <int J16>
    static __m256i min16(const GroupScales& s) {
        return _mm256_slli_epi32(scale<J16>(s), kOffsetShift);
    }
    template <class Dot, int T>
    [[gnu::always_inline]] static void minimum_terms(const GroupScales& s, const std::byte* const* x,
                                                     __m256i* mins) {
        __m256i pairs[8];
        signed_byte_pairs(s.words, pairs);
        for (int t = 0; t < T; ++t)
            mins[t] = _mm256_slli_epi32(sums_times_pairs<Dot>(pairs, x[t]), kOffsetShift);
    }
};

// The rounds of the formats whose codes sit 32 elements apart in the bytes of a 32-byte run (Q2_K, Q3_K,
// Q6_K): round 2n + h covers words p = 4h .. 4h + 3 of half n (elements 128n .. 128n + 127), and slot s
// the elements 128n + 32s + 4p .. + 3, which belong to sub-block 8n + 2s + h.
constexpr int sub_block_of_halves(int round, int slot) {
    return 8 * (round / 2) + 2 * slot + round % 2;
}

// Q2_K: 2-bit codes, 4-bit scale and minimum per 16 elements. Element 128n + 32s + l is bits 2s of byte l
// of qs's half n.
struct Q2_KFormat {
    static constexpr int kSub = 16;
    static constexpr size_t kGroupBlock = kInterleavedRows * sizeof(BlockQ2_K);
    static constexpr size_t kGroupD = interleaved_offset(offsetof(BlockQ2_K, d));
    static constexpr size_t kGroupDmin = interleaved_offset(offsetof(BlockQ2_K, dmin));
    static constexpr int kRounds = 4, kSlots = 4;
    static constexpr int sub_block(int round, int slot) { return sub_block_of_halves(round, slot); }

    template <int Round, class Visit>
    [[gnu::always_inline]] static void round_codes(const std::byte* gb, Visit&& visit) {
        constexpr int n = Round / 2, h = Round % 2;
        const std::byte* qs = gb + interleaved_offset(offsetof(BlockQ2_K, qs));
        const __m256i three = _mm256_set1_epi8(3);
        for (int p = 4 * h; p < 4 * h + 4; ++p) {
            const __m256i w = load256(qs + 32 * (8 * n + p));
            visit(0, 128 * n + 4 * p, _mm256_and_si256(w, three));
            visit(1, 128 * n + 32 + 4 * p, _mm256_and_si256(_mm256_srli_epi16(w, 2), three));
            visit(2, 128 * n + 64 + 4 * p, _mm256_and_si256(_mm256_srli_epi16(w, 4), three));
            visit(3, 128 * n + 96 + 4 * p, _mm256_and_si256(_mm256_srli_epi16(w, 6), three));
        }
    }

    // Byte i of word w of each lane: scale (low nibble) and minimum (high nibble) of sub-block 4w + i.
    struct GroupScales {
        __m256i words[4];
    };
    static GroupScales group_scales(const std::byte* gb) {
        const std::byte* sc = gb + interleaved_offset(offsetof(BlockQ2_K, scales));
        return {{load256(sc), load256(sc + 32), load256(sc + 64), load256(sc + 96)}};
    }
    template <int J>
    static __m256i scale(const GroupScales& s) {
        return _mm256_and_si256(_mm256_srli_epi32(s.words[J / 4], 8 * (J % 4)), _mm256_set1_epi32(15));
    }
    template <int J16>
    static __m256i min16(const GroupScales& s) {
        return _mm256_and_si256(_mm256_srli_epi32(s.words[J16 / 4], 8 * (J16 % 4) + 4),
                                _mm256_set1_epi32(15));
    }
    template <class Dot, int T>
    [[gnu::always_inline]] static void minimum_terms(const GroupScales& s, const std::byte* const* x,
                                                     __m256i* mins) {
        const __m256i nibble_pairs = _mm256_set1_epi32(0x000f000f);
        __m256i pairs[8];
        for (int w = 0; w < 4; ++w) {
            pairs[2 * w] = _mm256_and_si256(_mm256_srli_epi32(s.words[w], 4), nibble_pairs);
            pairs[2 * w + 1] = _mm256_and_si256(_mm256_srli_epi32(s.words[w], 12), nibble_pairs);
        }
        for (int t = 0; t < T; ++t)
            mins[t] = sums_times_pairs<Dot>(pairs, x[t]);
    }
};

// Q3_K: 2 low bits as Q2_K plus a high bit, bit 4n + s of hmask byte l (codes 0..7, offset 4), signed
// 6-bit scales.
struct Q3_KFormat : SignedScales<4> {
    static constexpr int kSub = 16;
    static constexpr size_t kGroupBlock = kInterleavedRows * sizeof(BlockQ3_K);
    static constexpr size_t kGroupD = interleaved_offset(offsetof(BlockQ3_K, d));
    static constexpr size_t kGroupDmin = kGroupD;  // the offset's scale
    static constexpr int kRounds = 4, kSlots = 4;
    static constexpr int sub_block(int round, int slot) { return sub_block_of_halves(round, slot); }

    template <int Round, class Visit>
    [[gnu::always_inline]] static void round_codes(const std::byte* gb, Visit&& visit) {
        constexpr int n = Round / 2, h = Round % 2;
        const std::byte* qs = gb + interleaved_offset(offsetof(BlockQ3_K, qs));
        const std::byte* hmask = gb + interleaved_offset(offsetof(BlockQ3_K, hmask));
        const __m256i three = _mm256_set1_epi8(3);
        for (int p = 4 * h; p < 4 * h + 4; ++p) {
            const __m256i w = load256(qs + 32 * (8 * n + p));
            const __m256i high = load256(hmask + 32 * p);
            visit(0, 128 * n + 4 * p, _mm256_or_si256(_mm256_and_si256(w, three), move_bit<4 * n, 2>(high)));
            visit(1, 128 * n + 32 + 4 * p,
                  _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(w, 2), three),
                                  move_bit<4 * n + 1, 2>(high)));
            visit(2, 128 * n + 64 + 4 * p,
                  _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(w, 4), three),
                                  move_bit<4 * n + 2, 2>(high)));
            visit(3, 128 * n + 96 + 4 * p,
                  _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(w, 6), three),
                                  move_bit<4 * n + 3, 2>(high)));
        }
    }

    // The signed scales (6-bit code - 32), unpacked from the 12-byte packing of tensor/quant_blocks.h for 8
    // rows at once.
    static GroupScales group_scales(const std::byte* gb) {
        const std::byte* packed = gb + interleaved_offset(offsetof(BlockQ3_K, scales));
        const __m256i a0 = load256(packed), a1 = load256(packed + 32), a2 = load256(packed + 64);
        const __m256i nibbles = _mm256_set1_epi8(15), pairs = _mm256_set1_epi8(3),
                      bias = _mm256_set1_epi8(32);
        auto combine = [&](__m256i low, __m256i high) {
            const __m256i code = _mm256_or_si256(_mm256_and_si256(low, nibbles),
                                                 _mm256_slli_epi32(_mm256_and_si256(high, pairs), 4));
            return _mm256_sub_epi8(code, bias);
        };
        return {{combine(a0, a2), combine(a1, _mm256_srli_epi32(a2, 2)),
                 combine(_mm256_srli_epi32(a0, 4), _mm256_srli_epi32(a2, 4)),
                 combine(_mm256_srli_epi32(a1, 4), _mm256_srli_epi32(a2, 6))}};
    }
};

// Q4_K and Q5_K: 4-bit codes (plus a 5th bit from qh for Q5_K), 6-bit scale and minimum per 32 elements.
template <bool kFifthBit>
struct Q45_KFormat {
    using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
    static constexpr int kSub = 32;
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
struct Q6_KFormat : SignedScales<32> {
    static constexpr int kSub = 16;
    static constexpr size_t kGroupBlock = kInterleavedRows * sizeof(BlockQ6_K);
    static constexpr size_t kGroupD = interleaved_offset(offsetof(BlockQ6_K, d));
    static constexpr size_t kGroupDmin = kGroupD;  // the offset's scale
    // Interleaved. Round 2n + h: in half n (elements 128n .. 128n + 127), word p (4h <= p < 4h + 4) of ql's
    // first and second 32 bytes and word p of qh give elements 128n + 32s + 4p .. + 3 for slot s = 0..3
    // (the low 4 bits from ql's low or high nibbles, the high 2 bits from qh bits 2s), which belong to
    // sub-block 8n + 2s + h.
    static constexpr int kRounds = 4, kSlots = 4;
    static constexpr int sub_block(int round, int slot) { return sub_block_of_halves(round, slot); }

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

    static GroupScales group_scales(const std::byte* gb) {
        const std::byte* sc = gb + interleaved_offset(offsetof(BlockQ6_K, scales));
        return {{load256(sc), load256(sc + 32), load256(sc + 64), load256(sc + 96)}};
    }
};

// The integer parts of the dot products of one interleaved group block (8 rows) with T activation
// super-blocks:
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
