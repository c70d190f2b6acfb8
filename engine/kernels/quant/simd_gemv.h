// Quantized matrix kernels for a few inputs at a time (decode: one token), on 256-bit vectors.
//
// With one input the work is streaming the weights from memory: each weight row is read once, unpacked to
// bytes in registers and multiplied with the (cache-resident) activations. The compute per weight byte has to
// stay below what memory delivers (about 5 bytes per cycle per core here), so the inner loops are short.
// Most formats are read as interleaved rows (kernels/quant/interleaved.h): 8 rows per vector, one
// dot-product instruction per 4 codes of 8 rows, the float work done once for 8 rows and no horizontal sums.
// Q2_K and Q3_K are read as stored, one row at a time. Up to four inputs share each unpacked block (small
// batches, prompt tails).
//
// Templates over a dot policy (simd_int8.h) and a format (simd_legacy.h, simd_k_quants.h); T is the number of
// inputs computed together. Include only from files compiled with AVX2 or better.
#pragma once

#include "kernels/matmul.h"
#include "kernels/quant/simd_k_quants.h"
#include "kernels/quant/simd_legacy.h"
#include "util/system_memory.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

// ---- 32-element formats with Q8_0S activations ---------------------------------------------------------

constexpr size_t kQ8SBytes = sizeof(BlockQ8_0S);
constexpr size_t kQ8SScale = offsetof(BlockQ8_0S, d);
constexpr size_t kQ8SSum = offsetof(BlockQ8_0S, sum);
constexpr size_t kQ8SScaledSum = offsetof(BlockQ8_0S, dsum);
constexpr size_t kQ8SCodes = offsetof(BlockQ8_0S, qs);

// 8 rows (one interleaved group) times inputs t0 .. t0 + T - 1. Per group block: the codes of 8 rows
// unpacked once (simd_legacy.h), 8 dot products of 4 codes per row with 4 activation codes broadcast, then
// for all 8 rows at once one conversion, one scale product and one fused multiply-add per input. The
// offset of Q4_0 and Q5_0 (and of Q8_0 stored as w + 128 for VNNI) starts the integer sum as
// -offset * sum(x); the minimum of Q4_1 and Q5_1 adds m * (d_x * sum(x)) in float. Lane i of out[t] is
// the dot product of row 8 * group + i with input t0 + t.
template <class Dot, class F, int T>
void interleaved_gemv(const MatmulProblem& p, int64_t group, int64_t t0, __m256* out) {
    constexpr bool kSignTrick = F::kSigned && !Dot::kVnni;  // maddubs would saturate on w + 128
    constexpr int kOffset = F::kSigned ? (kSignTrick ? 0 : 128) : F::kOffset;
    constexpr size_t kGroupBlock = F::kGroupBlock;
    const int64_t blocks = p.k / kLegacyBlock;
    const std::byte* w = p.weights + group * blocks * static_cast<int64_t>(kGroupBlock);
    const std::byte* x[T];
    for (int t = 0; t < T; ++t)
        x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);

    // Two running sums per input when there is one: a fused multiply-add takes 4 cycles, a block about 3.
    constexpr int P = T == 1 ? 2 : 1;
    __m256 acc[P][T];
    for (int i = 0; i < P; ++i)
        for (int t = 0; t < T; ++t)
            acc[i][t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
        const std::byte* gb = w + b * static_cast<int64_t>(kGroupBlock);
        // Fetch ahead (util/system_memory.h): each group block is read once, and the loads below would
        // otherwise wait for memory at every new cache line.
        for (size_t line = 0; line < kGroupBlock; line += 64)
            _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchAheadBytes + line), _MM_HINT_T0);
        __m256i q[8];
        group_codes<F>(gb, q);
        __m256i sum[T];
        for (int t = 0; t < T; ++t)
            sum[t] = kOffset != 0 ? _mm256_set1_epi32(-kOffset * load_i32(x[t] + kQ8SSum))
                                  : _mm256_setzero_si256();
        for (int g = 0; g < 8; ++g) {
            if constexpr (kSignTrick) {
                for (int t = 0; t < T; ++t)
                    sum[t] = dot_s8s8_avx2<Dot>(sum[t], q[g],
                                                _mm256_set1_epi32(load_i32(x[t] + kQ8SCodes + 4 * g)));
            } else {
                const __m256i u =
                    F::kSigned ? _mm256_xor_si256(q[g], _mm256_set1_epi8(static_cast<char>(0x80))) : q[g];
                for (int t = 0; t < T; ++t)
                    sum[t] = Dot::dot_u8s8(sum[t], u, _mm256_set1_epi32(load_i32(x[t] + kQ8SCodes + 4 * g)));
            }
        }
        const __m256 d = group_halves(gb);
        __m256* a = acc[P == 1 ? 0 : b % P];
        for (int t = 0; t < T; ++t) {
            float dx;
            std::memcpy(&dx, x[t] + kQ8SScale, 4);
            a[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]), _mm256_mul_ps(d, _mm256_set1_ps(dx)), a[t]);
            if constexpr (F::kMin) {
                float dsum;
                std::memcpy(&dsum, x[t] + kQ8SScaledSum, 4);
                a[t] = _mm256_fmadd_ps(group_halves(gb + F::kMins), _mm256_set1_ps(dsum), a[t]);
            }
            x[t] += kQ8SBytes;
        }
    }
    for (int t = 0; t < T; ++t)
        out[t] = P == 1 ? acc[0][t] : _mm256_add_ps(acc[0][t], acc[P - 1][t]);
}

// ---- K-quants as interleaved rows (Q4_K, Q5_K, Q6_K) with Q8_K activations ------------------------------

// 8 rows (one interleaved group) times inputs t0 .. t0 + T - 1: per group block the integer sums of
// k_group_dot (simd_k_quants.h), then for all 8 rows at once
//   acc += (d * d_x) * sum - (dmin * d_x) * mins.
template <class Dot, class F, int T>
void k_interleaved_gemv(const MatmulProblem& p, int64_t group, int64_t t0, __m256* out) {
    constexpr size_t kGroupBlock = F::kGroupBlock;
    const int64_t blocks = p.k / kSuperBlock;
    const std::byte* w = p.weights + group * blocks * static_cast<int64_t>(kGroupBlock);
    const std::byte* x[T];
    for (int t = 0; t < T; ++t)
        x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);
    __m256 acc[T];
    for (int t = 0; t < T; ++t)
        acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
        const std::byte* gb = w + b * static_cast<int64_t>(kGroupBlock);
        for (size_t line = 0; line < kGroupBlock; line += 64)
            _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchAheadBytes + line), _MM_HINT_T0);
        __m256i sum[T], mins[T];
        k_group_dot<F, Dot, T>(gb, x, sum, mins);
        const __m256 d = group_halves(gb + F::kGroupD);
        for (int t = 0; t < T; ++t) {
            float dx;
            std::memcpy(&dx, x[t] + kQ8KScale, 4);
            const __m256 scale_x = _mm256_set1_ps(dx);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]), _mm256_mul_ps(d, scale_x), acc[t]);
            acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mins[t]),
                                      _mm256_mul_ps(group_halves(gb + F::kGroupDmin), scale_x), acc[t]);
            x[t] += sizeof(BlockQ8_K);
        }
    }
    for (int t = 0; t < T; ++t)
        out[t] = acc[t];
}

// ---- K-quants as stored (Q2_K, Q3_K) with Q8_K
// activations---------------------------------------------------------------

// Byte-shuffle controls that turn a vector holding scales 0..7 (or 8..15) of a super-block in both 128-bit
// halves into [scale 2c x 8 | scale 2c + 1 x 8], the 16-bit scales of the 32 elements of chunk c.
inline __m256i pair_control(int c) {
    int lo = 4 * (c % 4), hi = lo + 2;
    return _mm256_setr_m128i(_mm_set1_epi16(static_cast<short>((lo + 1) << 8 | lo)),
                             _mm_set1_epi16(static_cast<short>((hi + 1) << 8 | hi)));
}

// One super-block of one weight row times T activation super-blocks, added to acc[t]. (Always inlined: as a
// call, acc would live in memory.)
//   integer part:  A = sum_c dot16(pairs(q_c * x_c), scales of chunk c) - offset * sum_j scale_j * bsum_j
//   minimum part:  M = sum_j min_j * bsum_j
//   acc += (d * d_x) * A - (dmin * d_x) * M
template <class Dot, class F, int T>
[[gnu::always_inline]] inline void k_superblock(const std::byte* w, const std::byte* const* x, __m256* acc) {
    __m256i q[8];
    F::template codes<Dot>(w, q);
    KScales s = F::scales(w);
    const __m256i low_scales = _mm256_permute2x128_si256(s.scale16, s.scale16, 0x00);
    const __m256i high_scales = _mm256_permute2x128_si256(s.scale16, s.scale16, 0x11);
    __m256i a[T];
    for (int t = 0; t < T; ++t)
        a[t] = _mm256_setzero_si256();
    for (int c = 0; c < 8; ++c) {
        __m256i scale = _mm256_shuffle_epi8(c < 4 ? low_scales : high_scales, pair_control(c));
        for (int t = 0; t < T; ++t) {
            __m256i pairs = _mm256_maddubs_epi16(q[c], load256(x[t] + kQ8KCodes + 32 * c));
            a[t] = Dot::dot_s16(a[t], pairs, scale);
        }
    }
    for (int t = 0; t < T; ++t) {
        float dx;
        std::memcpy(&dx, x[t] + kQ8KScale, 4);
        __m256i bsums = load256(x[t] + kQ8KSums);
        if constexpr (F::kOffset != 0) {
            static_assert(F::kOffset == 4 || F::kOffset == 32);
            constexpr int kShift = F::kOffset == 4 ? 2 : 5;
            a[t] = _mm256_sub_epi32(a[t], _mm256_slli_epi32(_mm256_madd_epi16(s.scale16, bsums), kShift));
        }
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a[t]), _mm256_set1_ps(s.d * dx), acc[t]);
        if constexpr (F::kMin) {
            __m256i m = _mm256_madd_epi16(s.min16, bsums);
            acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(m), _mm256_set1_ps(s.dmin * dx), acc[t]);
        }
    }
}

template <class Dot, class F, int T>
void k_gemv(const MatmulProblem& p, int64_t row, int64_t t0, __m256* out) {
    const std::byte* w = p.weights + row * static_cast<int64_t>(p.weight_row_bytes);
    const std::byte* x[T];
    for (int t = 0; t < T; ++t)
        x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);
    __m256 acc[T];
    for (int t = 0; t < T; ++t)
        acc[t] = _mm256_setzero_ps();
    const int64_t blocks = p.k / kSuperBlock;
    for (int64_t b = 0; b < blocks; ++b) {
        const std::byte* xb[T];
        for (int t = 0; t < T; ++t)
            xb[t] = x[t] + b * static_cast<int64_t>(sizeof(BlockQ8_K));
        k_superblock<Dot, F, T>(w + b * static_cast<int64_t>(F::kBytes), xb, acc);
    }
    for (int t = 0; t < T; ++t)
        out[t] = acc[t];
}

// ---- rows of a problem -------------------------------------------------------------------------------

// The lane sums of 8 vectors, as one vector.
inline __m256 hsum8(const __m256 v[8]) {
    __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
    __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

// Calls run.operator()<T>(t0) for the inputs of a problem in tiles of T = 4, then one tile of the 1 to 3
// left.
template <class Run>
void for_input_tiles(int64_t n, Run&& run) {
    int64_t t = 0;
    for (; t + 4 <= n; t += 4)
        run.template operator()<4>(t);
    switch (n - t) {
        case 3:
            run.template operator()<3>(t);
            break;
        case 2:
            run.template operator()<2>(t);
            break;
        case 1:
            run.template operator()<1>(t);
            break;
        default:
            break;
    }
}

// Rows [row_begin, row_end) for every input, four inputs at a time. `kernel<T>(row, t0, out)` leaves the T
// unreduced row totals in out. With one input the horizontal sums are done for 8 rows at once: a row's
// last multiply-adds, sum and store would otherwise form a chain of some 30 cycles at the end of every row,
// which for rows of 896 weights is a third of the row's work.
template <class Kernel>
void gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end, Kernel&& kernel) {
    int64_t r = row_begin;
    if (p.n == 1) {
        __m256 totals[8];
        for (; r + 8 <= row_end; r += 8) {
            for (int i = 0; i < 8; ++i)
                kernel.template operator()<1>(r + i, 0, &totals[i]);
            _mm256_storeu_ps(p.outputs + r, hsum8(totals));
        }
    }
    for (; r < row_end; ++r) {
        __m256 totals[4];
        auto run = [&]<int T>(int64_t t0) {
            kernel.template operator()<T>(r, t0, totals);
            for (int t = 0; t < T; ++t)
                p.outputs[(t0 + t) * p.output_stride + r] = hsum(totals[t]);
        };
        for_input_tiles(p.n, run);
    }
}

// Rows [row_begin, row_end) of interleaved weights for every input, four inputs at a time; row_begin is a
// multiple of 8 (the kernels' row_multiple is). `kernel<T>(group, t0, out)` leaves in lane i of out[t] the
// dot product of row 8 * group + i with input t0 + t.
template <class Kernel>
void group_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end, Kernel&& kernel) {
    for (int64_t r = row_begin; r < row_end; r += kInterleavedRows) {
        const int64_t group = r / kInterleavedRows;
        const int rows = static_cast<int>(min64(kInterleavedRows, row_end - r));
        __m256 totals[4];
        auto run = [&]<int T>(int64_t t0) {
            kernel.template operator()<T>(group, t0, totals);
            for (int t = 0; t < T; ++t) {
                float* y = p.outputs + (t0 + t) * p.output_stride + r;
                if (rows == kInterleavedRows) {
                    _mm256_storeu_ps(y, totals[t]);
                } else {
                    alignas(32) float lanes[8];
                    _mm256_store_ps(lanes, totals[t]);
                    for (int i = 0; i < rows; ++i)
                        y[i] = lanes[i];
                }
            }
        };
        for_input_tiles(p.n, run);
    }
}

template <class Dot, class F>
void interleaved_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    group_rows(p, row_begin, row_end, [&]<int T>(int64_t group, int64_t t0, __m256* out) {
        interleaved_gemv<Dot, F, T>(p, group, t0, out);
    });
}

template <class Dot, class F>
void k_interleaved_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    group_rows(p, row_begin, row_end, [&]<int T>(int64_t group, int64_t t0, __m256* out) {
        k_interleaved_gemv<Dot, F, T>(p, group, t0, out);
    });
}

template <class Dot, class F>
void k_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    gemv_rows(p, row_begin, row_end,
              [&]<int T>(int64_t row, int64_t t0, __m256* out) { k_gemv<Dot, F, T>(p, row, t0, out); });
}

}  // namespace
}  // namespace loom::simd
