// Quantized matrix kernel for many inputs (prefill) with AVX-512 VNNI: weights repacked per panel of 16 rows.
//
// Decode unpacks each weight block and uses it once; with many inputs the same block meets every input, so
// it pays to unpack it once into a form the multiply-adds consume directly. A panel holds 16 weight rows
// with their codes as bytes interleaved in 4-byte groups: one 64-byte vector holds 4 consecutive codes of
// each of the 16 rows, which is exactly what VPDPBUSD multiplies with 4 activation bytes broadcast to all
// lanes. Each lane then accumulates one row's dot product, so no horizontal sums are needed, and per
// 32-element block the float work (convert, scale, add) is done once for 16 rows.
//
// The micro-kernel computes 16 rows x T inputs (T = 8: 8 integer sums, 8 block sums and 8 running totals
// stay in 24 of the 32 zmm registers); every loaded weight vector serves T inputs and every broadcast
// activation word 16 rows. The panel (about 100 KB for k = 4864) stays in L2 while all inputs pass over it.
//
// Per panel and 32- or 256-element unit the panel stores:
//   legacy formats (unit = block):   codes[8][16][4] bytes, scale d[16] floats, minimum m[16] floats
//   K-quants (unit = super-block):   codes[64][16][4] bytes, sub-block scales d*scale_j[S][16] floats,
//                                    minimum pairs[8][16] (2 x int16), dmin (or d)[16] floats
// Include only from files compiled with AVX-512 (F, BW, VL, DQ, VNNI).
#pragma once

#include <immintrin.h>

#include "kernels/matmul.h"
#include "kernels/quant/simd_gemv.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

constexpr int kPanelRows = 16;

// Codes of one unit for 16 rows ([row][elements] bytes) interleaved into [elements / 4][row][4 bytes].
template <int Elements>
void interleave_codes(const uint8_t (*rows)[Elements], std::byte* out) {
    auto* words = reinterpret_cast<uint32_t*>(out);
    for (int g = 0; g < Elements / 4; ++g)
        for (int r = 0; r < kPanelRows; ++r)
            std::memcpy(&words[g * kPanelRows + r], &rows[r][4 * g], 4);
}

// ---- 32-element formats --------------------------------------------------------------------------------

template <class F>
struct LegacyPanel {
    static constexpr int kUnitElements = 32;
    static constexpr size_t kCodeBytes = 32 * kPanelRows;
    static constexpr size_t kUnitBytes = kCodeBytes + 2 * 64;  // codes, scales, minimums
    // Q8_0 codes are signed: stored with the sign bit flipped (w + 128) and the 128 taken back through the
    // activations' sum, like the unsigned offsets of Q4_0 and Q5_0.
    static constexpr int kOffset = F::kSigned ? 128 : F::kOffset;

    static void pack(const MatmulProblem& p, int64_t r0, int rows, std::byte* panel) {
        const int64_t units = p.k / 32;
        alignas(64) uint8_t codes[kPanelRows][32];
        for (int64_t u = 0; u < units; ++u) {
            std::byte* out = panel + u * static_cast<int64_t>(kUnitBytes);
            auto* scale = reinterpret_cast<float*>(out + kCodeBytes);
            float* minimum = scale + kPanelRows;
            for (int r = 0; r < kPanelRows; ++r) {
                if (r >= rows) {
                    std::memset(codes[r], 0, 32);
                    scale[r] = minimum[r] = 0.0f;
                    continue;
                }
                const std::byte* block = p.weights + (r0 + r) * static_cast<int64_t>(p.weight_row_bytes) +
                                         u * static_cast<int64_t>(F::kBytes);
                __m256i q = F::template codes<Avx512VnniDot>(block);
                if constexpr (F::kSigned) q = _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));
                _mm256_store_si256(reinterpret_cast<__m256i*>(codes[r]), q);
                scale[r] = half_at(block);
                minimum[r] = F::kMin ? half_at(block + 2) : 0.0f;
            }
            interleave_codes<32>(codes, out);
        }
    }

    // 16 rows x T inputs over the whole k; returns the T output vectors in acc.
    template <int T>
    static void multiply(const MatmulProblem& p, const std::byte* panel, int64_t t0, __m512* acc) {
        const int64_t units = p.k / 32;
        const std::byte* x[T];
        for (int t = 0; t < T; ++t)
            x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);
        const __m512i offset_pair = _mm512_set1_epi32(static_cast<uint16_t>(-kOffset));
        for (int t = 0; t < T; ++t)
            acc[t] = _mm512_setzero_ps();
        for (int64_t u = 0; u < units; ++u) {
            const std::byte* unit = panel + u * static_cast<int64_t>(kUnitBytes);
            __m512i sum[T];
            for (int t = 0; t < T; ++t) {
                sum[t] = _mm512_setzero_si512();
                if constexpr (kOffset != 0)
                    sum[t] =
                        _mm512_dpwssd_epi32(sum[t], offset_pair, _mm512_set1_epi32(load_i32(x[t] + kQ8SSum)));
            }
            for (int g = 0; g < 8; ++g) {
                __m512i w = _mm512_load_si512(unit + 64 * g);
                for (int t = 0; t < T; ++t)
                    sum[t] =
                        _mm512_dpbusd_epi32(sum[t], w, _mm512_set1_epi32(load_i32(x[t] + kQ8SCodes + 4 * g)));
            }
            const __m512 scale = _mm512_load_ps(reinterpret_cast<const float*>(unit + kCodeBytes));
            for (int t = 0; t < T; ++t) {
                float dx;
                std::memcpy(&dx, x[t] + kQ8SScale, 4);
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[t]), _mm512_mul_ps(scale, _mm512_set1_ps(dx)),
                                         acc[t]);
            }
            if constexpr (F::kMin) {
                const __m512 minimum = _mm512_load_ps(reinterpret_cast<const float*>(unit + kCodeBytes + 64));
                for (int t = 0; t < T; ++t) {
                    float ds;
                    std::memcpy(&ds, x[t] + kQ8SScaledSum, 4);
                    acc[t] = _mm512_fmadd_ps(minimum, _mm512_set1_ps(ds), acc[t]);
                }
            }
            for (int t = 0; t < T; ++t)
                x[t] += kQ8SBytes;
        }
    }
};

// ---- K-quants ------------------------------------------------------------------------------------------

template <class F>
struct KPanel {
    static constexpr int kUnitElements = kSuperBlock;
    static constexpr int kSubBlocks = kSuperBlock / F::kSub;
    static constexpr size_t kCodeBytes = kSuperBlock * kPanelRows;
    static constexpr size_t kScaleOffset = kCodeBytes;
    static constexpr size_t kPairOffset = kScaleOffset + kSubBlocks * 64;
    static constexpr size_t kMinScaleOffset = kPairOffset + 8 * 64;
    static constexpr size_t kUnitBytes = kMinScaleOffset + 64;

    static void pack(const MatmulProblem& p, int64_t r0, int rows, std::byte* panel) {
        const int64_t units = p.k / kSuperBlock;
        alignas(64) uint8_t codes[kPanelRows][kSuperBlock];
        alignas(32) int16_t scale16[16], min16[16];
        for (int64_t u = 0; u < units; ++u) {
            std::byte* out = panel + u * static_cast<int64_t>(kUnitBytes);
            auto* scales = reinterpret_cast<float*>(out + kScaleOffset);
            auto* pairs = reinterpret_cast<uint32_t*>(out + kPairOffset);
            auto* min_scale = reinterpret_cast<float*>(out + kMinScaleOffset);
            for (int r = 0; r < kPanelRows; ++r) {
                if (r >= rows) {
                    std::memset(codes[r], 0, kSuperBlock);
                    for (int j = 0; j < kSubBlocks; ++j)
                        scales[j * kPanelRows + r] = 0.0f;
                    for (int i = 0; i < 8; ++i)
                        pairs[i * kPanelRows + r] = 0;
                    min_scale[r] = 0.0f;
                    continue;
                }
                const std::byte* block = p.weights + (r0 + r) * static_cast<int64_t>(p.weight_row_bytes) +
                                         u * static_cast<int64_t>(F::kBytes);
                __m256i q[8];
                F::template codes<Avx512VnniDot>(block, q);
                for (int c = 0; c < 8; ++c)
                    _mm256_store_si256(reinterpret_cast<__m256i*>(codes[r] + 32 * c), q[c]);
                KScales s = F::scales(block);
                _mm256_store_si256(reinterpret_cast<__m256i*>(scale16), s.scale16);
                // Minimum terms: the format's minimums, or offset * scale for the signed formats, per 16
                // elements.
                __m256i m = F::kMin ? s.min16 : _mm256_mullo_epi16(s.scale16, _mm256_set1_epi16(F::kOffset));
                _mm256_store_si256(reinterpret_cast<__m256i*>(min16), m);
                for (int j = 0; j < kSubBlocks; ++j)
                    scales[j * kPanelRows + r] = s.d * static_cast<float>(scale16[j * F::kSub / 16]);
                for (int i = 0; i < 8; ++i)
                    pairs[i * kPanelRows + r] = static_cast<uint16_t>(min16[2 * i]) |
                                                static_cast<uint32_t>(static_cast<uint16_t>(min16[2 * i + 1]))
                                                    << 16;
                min_scale[r] = F::kMin ? s.dmin : s.d;
            }
            interleave_codes<kSuperBlock>(codes, out);
        }
    }

    template <int T>
    static void multiply(const MatmulProblem& p, const std::byte* panel, int64_t t0, __m512* acc) {
        constexpr int kGroups = F::kSub / 4;
        const int64_t units = p.k / kSuperBlock;
        const std::byte* x[T];
        for (int t = 0; t < T; ++t)
            x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);
        for (int t = 0; t < T; ++t)
            acc[t] = _mm512_setzero_ps();
        for (int64_t u = 0; u < units; ++u) {
            const std::byte* unit = panel + u * static_cast<int64_t>(kUnitBytes);
            __m512 block_sum[T];
            for (int t = 0; t < T; ++t)
                block_sum[t] = _mm512_setzero_ps();
            for (int j = 0; j < kSubBlocks; ++j) {
                __m512i sum[T];
                for (int t = 0; t < T; ++t)
                    sum[t] = _mm512_setzero_si512();
                for (int g = 0; g < kGroups; ++g) {
                    __m512i w = _mm512_load_si512(unit + 64 * (j * kGroups + g));
                    for (int t = 0; t < T; ++t) {
                        int32_t codes = load_i32(x[t] + kQ8KCodes + F::kSub * j + 4 * g);
                        sum[t] = _mm512_dpbusd_epi32(sum[t], w, _mm512_set1_epi32(codes));
                    }
                }
                const __m512 scale =
                    _mm512_load_ps(reinterpret_cast<const float*>(unit + kScaleOffset + 64 * j));
                for (int t = 0; t < T; ++t)
                    block_sum[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[t]), scale, block_sum[t]);
            }
            __m512i minimum[T];
            for (int t = 0; t < T; ++t)
                minimum[t] = _mm512_setzero_si512();
            for (int i = 0; i < 8; ++i) {
                __m512i pair = _mm512_load_si512(unit + kPairOffset + 64 * i);
                for (int t = 0; t < T; ++t)
                    minimum[t] = _mm512_dpwssd_epi32(minimum[t], pair,
                                                     _mm512_set1_epi32(load_i32(x[t] + kQ8KSums + 4 * i)));
            }
            const __m512 min_scale = _mm512_load_ps(reinterpret_cast<const float*>(unit + kMinScaleOffset));
            for (int t = 0; t < T; ++t) {
                float dx;
                std::memcpy(&dx, x[t] + kQ8KScale, 4);
                block_sum[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(minimum[t]), min_scale, block_sum[t]);
                acc[t] = _mm512_fmadd_ps(block_sum[t], _mm512_set1_ps(dx), acc[t]);
                x[t] += sizeof(BlockQ8_K);
            }
        }
    }
};

// ---- rows of a problem ---------------------------------------------------------------------------------

template <class Panel, int T>
void panel_tile(const MatmulProblem& p, const std::byte* panel, int64_t r0, int rows, int64_t t0) {
    __m512 acc[T];
    Panel::template multiply<T>(p, panel, t0, acc);
    const __mmask16 mask = static_cast<__mmask16>((1u << rows) - 1);
    for (int t = 0; t < T; ++t)
        _mm512_mask_storeu_ps(p.outputs + (t0 + t) * p.output_stride + r0, mask, acc[t]);
}

template <class Panel>
void gemm_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    const int64_t units = p.k / Panel::kUnitElements;
    thread_local ScratchBuffer buffer;
    std::byte* panel = buffer.get(static_cast<size_t>(units) * Panel::kUnitBytes);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += kPanelRows) {
        const int rows = static_cast<int>(min64(kPanelRows, row_end - r0));
        Panel::pack(p, r0, rows, panel);
        int64_t t = 0;
        for (; t + 8 <= p.n; t += 8)
            panel_tile<Panel, 8>(p, panel, r0, rows, t);
        if (t + 4 <= p.n) panel_tile<Panel, 4>(p, panel, r0, rows, t), t += 4;
        if (t + 2 <= p.n) panel_tile<Panel, 2>(p, panel, r0, rows, t), t += 2;
        if (t < p.n) panel_tile<Panel, 1>(p, panel, r0, rows, t);
    }
}

}  // namespace
}  // namespace loom::simd
