// Quantized matrix kernels for a few inputs at a time (decode: one token), on 256-bit vectors.
//
// With one input the work is streaming the weights from memory: each weight row is read once, unpacked to
// bytes in registers and multiplied with the (cache-resident) activations. The compute per weight byte has to
// stay below what memory delivers (about 5 bytes per cycle per core here), so the inner loops are short.
// Weights are read as interleaved rows (kernels/quant/interleaved.h): 8 rows per vector, one dot-product
// instruction per 4 codes of 8 rows, the float work done once for 8 rows and no horizontal sums. Up to four
// inputs share each unpacked block (small batches, prompt tails).
//
// Templates over a dot policy (simd_int8.h) and a format (simd_legacy.h, simd_k_quants.h); T is the number of
// inputs computed together. Include only from files compiled with AVX2 or better.
#pragma once

#include "kernels/matmul.h"
#include "kernels/quant/simd_k_quants.h"
#include "kernels/quant/simd_legacy.h"
#include "util/prefetch.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

// ---- 32-element formats with Q8_0S activations ---------------------------------------------------------

constexpr size_t kQ8SBytes = sizeof(BlockQ8_0S);
constexpr size_t kQ8SScale = offsetof(BlockQ8_0S, d);
constexpr size_t kQ8SSum = offsetof(BlockQ8_0S, sum);
constexpr size_t kQ8SScaledSum = offsetof(BlockQ8_0S, dsum);
constexpr size_t kQ8SCodes = offsetof(BlockQ8_0S, qs);

// 8 rows (one interleaved group) times inputs t0 .. t0 + T - 1, over `blocks` group blocks from `w` (one
// panel: kernels/quant/interleaved.h), which start at block `first_block` of the rows. Per group block: the
// codes of 8 rows unpacked once (simd_legacy.h), 8 dot products of 4 codes per row with 4 activation codes
// broadcast, then for all 8 rows at once one conversion, one scale product and one fused multiply-add per
// input. The offset of Q4_0 and Q5_0 (and of Q8_0 stored as w + 128 for VNNI) starts the integer sum as
// -offset * sum(x); the minimum of Q4_1 and Q5_1 adds m * (d_x * sum(x)) in float. Lane i of out[t] is
// the dot product of those blocks of row 8 * group + i with input t0 + t.
template <class Dot, class F, int T>
void legacy_gemv(const MatmulProblem& p, const std::byte* w, int64_t first_block, int64_t blocks, int64_t t0,
                 __m256* out) {
    constexpr bool kSignTrick = F::kSigned && !Dot::kVnni;  // maddubs would saturate on w + 128
    constexpr int kOffset = F::kSigned ? (kSignTrick ? 0 : 128) : F::kOffset;
    constexpr size_t kGroupBlock = F::kGroupBlock;
    const size_t ahead = p.prefetch_ahead_bytes;
    const std::byte* x[T];
    for (int t = 0; t < T; ++t)
        x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes) +
               first_block * static_cast<int64_t>(kQ8SBytes);

    // One running sum per input, in a register: a block's integer work takes longer than the multiply-add's
    // latency. (Two sums taking alternate blocks, acc[b % 2], were kept in memory by the compiler, and each
    // block waited on a store and a load: one input ran 1.1-1.15x slower.)
    __m256 acc[T];
    for (int t = 0; t < T; ++t)
        acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
        const std::byte* gb = w + b * static_cast<int64_t>(kGroupBlock);
        // The hardware prefetchers follow the group blocks, read in order, within a page; entering each
        // page, ask for the one p.prefetch_ahead_bytes further on, so they run on into it (util/prefetch.h).
        prefetch_next_page<kGroupBlock>(gb, ahead);
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
        for (int t = 0; t < T; ++t) {
            float dx;
            std::memcpy(&dx, x[t] + kQ8SScale, 4);
            acc[t] =
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]), _mm256_mul_ps(d, _mm256_set1_ps(dx)), acc[t]);
            if constexpr (F::kMin) {
                float dsum;
                std::memcpy(&dsum, x[t] + kQ8SScaledSum, 4);
                acc[t] = _mm256_fmadd_ps(group_halves(gb + F::kMins), _mm256_set1_ps(dsum), acc[t]);
            }
            x[t] += kQ8SBytes;
        }
    }
    for (int t = 0; t < T; ++t)
        out[t] = acc[t];
}

// ---- K-quants with Q8_K activations --------------------------------------------------------------------

// 8 rows (one interleaved group) times inputs t0 .. t0 + T - 1, over `blocks` group blocks from `w` (one
// panel), which start at super-block `first_block` of the rows: per group block the integer sums of
// k_group_dot (simd_k_quants.h), then for all 8 rows at once
//   acc += (d * d_x) * sum - (dmin * d_x) * mins.
template <class Dot, class F, int T>
void k_gemv(const MatmulProblem& p, const std::byte* w, int64_t first_block, int64_t blocks, int64_t t0,
            __m256* out) {
    constexpr size_t kGroupBlock = F::kGroupBlock;
    const size_t ahead = p.prefetch_ahead_bytes;
    const std::byte* x[T];
    for (int t = 0; t < T; ++t)
        x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes) +
               first_block * static_cast<int64_t>(sizeof(BlockQ8_K));
    __m256 acc[T];
    for (int t = 0; t < T; ++t)
        acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
        const std::byte* gb = w + b * static_cast<int64_t>(kGroupBlock);
        // A group block is read in several passes (its rounds), in an order the hardware prefetchers do
        // not follow: ask for all of the next one too. (With the page requests alone, Q6_K read 1.35-1.6x
        // slower; Q4_K about the same.)
        prefetch_next_page<kGroupBlock>(gb, ahead);
        prefetch_next_step<kGroupBlock>(gb, ahead);
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

// ---- rows of a problem ---------------------------------------------------------------------------------

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

// Rows [row_begin, row_end) of interleaved weights for every input, four inputs at a time; row_begin is a
// multiple of 8 (the kernels' row_multiple is). The rows are taken in the order of the layout
// (kernels/quant/interleaved.h): row block by row block, and in each, panel by panel, the groups in turn,
// so that a range of whole row blocks is read front to back. `kernel<T>(w, first_block, blocks, t0, out)`
// leaves in lane i of out[t] the dot product of blocks [first_block, first_block + blocks) of row
// 8 * group + i, stored from w on, with input t0 + t; the first panel's products are stored, the others'
// added.
template <class Kernel>
void group_rows(const MatmulProblem& p, const InterleavedLayout& layout, int64_t row_begin, int64_t row_end,
                Kernel&& kernel) {
    const int64_t row_block = layout.row_block_rows();
    for (int64_t block_begin = row_begin; block_begin < row_end;) {
        const int64_t block_end = min64(row_end, (block_begin / row_block + 1) * row_block);
        for (int64_t first = 0; first < layout.blocks; first += layout.panel_blocks) {
            const int64_t blocks = min64(layout.panel_blocks, layout.blocks - first);
            // Within a row block, a panel's groups follow each other: one offset computed per panel.
            const std::byte* w = p.weights + layout.offset(block_begin / kInterleavedRows, first);
            const int64_t group_bytes = blocks * static_cast<int64_t>(layout.group_block_bytes);
            for (int64_t r = block_begin; r < block_end; r += kInterleavedRows, w += group_bytes) {
                const int rows = static_cast<int>(min64(kInterleavedRows, row_end - r));
                __m256 totals[4];
                auto run = [&]<int T>(int64_t t0) {
                    kernel.template operator()<T>(w, first, blocks, t0, totals);
                    for (int t = 0; t < T; ++t) {
                        float* y = p.outputs + (t0 + t) * p.output_stride + r;
                        if (rows == kInterleavedRows) {
                            // Panels after the first add to the sums, 8 rows in one vector. (Through a
                            // store and 8 scalar additions, the down projection ran 1.06x slower from the
                            // caches for Q8_0.)
                            if (first > 0) totals[t] = _mm256_add_ps(_mm256_loadu_ps(y), totals[t]);
                            _mm256_storeu_ps(y, totals[t]);
                        } else {  // the last group of rows that are not a multiple of 8
                            alignas(32) float lanes[8];
                            _mm256_store_ps(lanes, totals[t]);
                            for (int i = 0; i < rows; ++i)
                                y[i] = first > 0 ? y[i] + lanes[i] : lanes[i];
                        }
                    }
                };
                for_input_tiles(p.n, run);
            }
        }
        block_begin = block_end;
    }
}

template <class Dot, class F>
void legacy_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    const InterleavedLayout layout = interleaved_layout(F::kGroupBlock / kInterleavedRows, kLegacyBlock, p.k);
    group_rows(p, layout, row_begin, row_end,
               [&]<int T>(const std::byte* w, int64_t first, int64_t blocks, int64_t t0, __m256* out) {
                   legacy_gemv<Dot, F, T>(p, w, first, blocks, t0, out);
               });
}

template <class Dot, class F>
void k_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    const InterleavedLayout layout = interleaved_layout(F::kGroupBlock / kInterleavedRows, kSuperBlock, p.k);
    group_rows(p, layout, row_begin, row_end,
               [&]<int T>(const std::byte* w, int64_t first, int64_t blocks, int64_t t0, __m256* out) {
                   k_gemv<Dot, F, T>(p, w, first, blocks, t0, out);
               });
}

}  // namespace
}  // namespace loom::simd
