// Quantized matrix kernels for a few inputs at a time (decode: one token), on 256-bit vectors.
//
// With one input the work is streaming the weights from memory: each weight row is read once, unpacked to
// bytes in registers and multiplied with the (cache-resident) activations. The compute per weight byte has to
// stay below what memory delivers (about 5 bytes per cycle per core here), so the inner loops are short: one
// 32-element block costs an unpack, one integer dot product, a conversion and a fused multiply-add. Up to
// four inputs share each unpacked block (small batches, prompt tails).
//
// Templates over a dot policy (simd_int8.h) and a format (simd_legacy.h, simd_k_quants.h); T is the number of
// inputs computed together. Include only from files compiled with AVX2 or better.
#pragma once

#include "kernels/matmul.h"
#include "kernels/quant/simd_k_quants.h"
#include "kernels/quant/simd_legacy.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

// ---- 32-element formats with Q8_0S activations
// --------------------------------------------------------------

constexpr size_t kQ8SBytes = sizeof(BlockQ8_0S);
constexpr size_t kQ8SScale = offsetof(BlockQ8_0S, d);
constexpr size_t kQ8SSum = offsetof(BlockQ8_0S, sum);
constexpr size_t kQ8SScaledSum = offsetof(BlockQ8_0S, dsum);
constexpr size_t kQ8SCodes = offsetof(BlockQ8_0S, qs);

// fp16 in the low (or high) 16 bits of each 32-bit lane, as floats.
inline __m256 halves_to_float(__m256i lanes, bool high) {
    __m256i bits = high ? _mm256_srli_epi32(lanes, 16) : _mm256_and_si256(lanes, _mm256_set1_epi32(0xffff));
    __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(bits), _mm256_extracti128_si256(bits, 1));
    return _mm256_cvtph_ps(packed);
}

// One weight row times inputs t0 .. t0 + T - 1. Per chunk of blocks, a first pass gathers the fp16 block
// scales eight at a time and multiplies them with the activation scales (and, for formats with a minimum,
// accumulates minimum * d_x * sum(x) directly); a second pass does the integer dot products.
template <class Dot, class F, int T>
void legacy_gemv(const MatmulProblem& p, int64_t row, int64_t t0) {
    constexpr int kChunk = 64;
    constexpr int B = static_cast<int>(F::kBytes), X = static_cast<int>(kQ8SBytes);
    const std::byte* w = p.weights + row * static_cast<int64_t>(p.weight_row_bytes);
    const std::byte* x[T];
    for (int t = 0; t < T; ++t)
        x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);
    const int64_t blocks = p.k / 32;

    const __m256i w_lanes = _mm256_setr_epi32(0, B, 2 * B, 3 * B, 4 * B, 5 * B, 6 * B, 7 * B);
    const __m256i x_lanes = _mm256_setr_epi32(0, X, 2 * X, 3 * X, 4 * X, 5 * X, 6 * X, 7 * X);
    // The offset of unsigned codes enters each block's integer sum as -offset * sum(x), in lane 0 only.
    const __m256i offset_pair = _mm256_setr_epi32(static_cast<uint16_t>(-F::kOffset), 0, 0, 0, 0, 0, 0, 0);

    __m256 acc[T][2], minimum_terms[T];
    float tail_minimum[T] = {};
    for (int t = 0; t < T; ++t)
        acc[t][0] = acc[t][1] = minimum_terms[t] = _mm256_setzero_ps();
    alignas(32) float scale[T][kChunk];

    for (int64_t b0 = 0; b0 < blocks; b0 += kChunk) {
        const int nb = static_cast<int>(min64(kChunk, blocks - b0));
        const std::byte* wc = w + b0 * B;
        int i = 0;
        for (; i + 8 <= nb; i += 8) {
            __m256i raw = _mm256_i32gather_epi32(reinterpret_cast<const int*>(wc + i * B), w_lanes, 1);
            __m256 d = halves_to_float(raw, false);
            for (int t = 0; t < T; ++t) {
                const float* xb = reinterpret_cast<const float*>(x[t] + (b0 + i) * X);
                __m256 dx = _mm256_i32gather_ps(xb, x_lanes, 1);
                _mm256_store_ps(&scale[t][i], _mm256_mul_ps(d, dx));
                if constexpr (F::kMin) {
                    __m256 ds = _mm256_i32gather_ps(
                        reinterpret_cast<const float*>(x[t] + (b0 + i) * X + kQ8SScaledSum), x_lanes, 1);
                    minimum_terms[t] = _mm256_fmadd_ps(halves_to_float(raw, true), ds, minimum_terms[t]);
                }
            }
        }
        for (; i < nb; ++i) {
            float d = half_at(wc + i * B);
            for (int t = 0; t < T; ++t) {
                const std::byte* xb = x[t] + (b0 + i) * X;
                float dx, ds;
                std::memcpy(&dx, xb + kQ8SScale, 4);
                std::memcpy(&ds, xb + kQ8SScaledSum, 4);
                scale[t][i] = d * dx;
                if constexpr (F::kMin) tail_minimum[t] += half_at(wc + i * B + 2) * ds;
            }
        }

        auto block = [&](int j, int parity) {
            const std::byte* wb = wc + j * B;
            __m256i q = F::template codes<Dot>(wb);
            for (int t = 0; t < T; ++t) {
                const std::byte* xb = x[t] + (b0 + j) * X;
                __m256i xq = load256(xb + kQ8SCodes);
                __m256i sum;
                if constexpr (F::kSigned) {
                    sum = dot_s8s8_avx2<Dot>(_mm256_setzero_si256(), q, xq);
                } else {
                    __m256i init = _mm256_setzero_si256();
                    if constexpr (F::kOffset != 0)
                        init = _mm256_madd_epi16(offset_pair, _mm256_set1_epi32(load_i32(xb + kQ8SSum)));
                    sum = Dot::dot_u8s8(init, q, xq);
                }
                acc[t][parity] =
                    _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(scale[t][j]), acc[t][parity]);
            }
        };
        int j = 0;
        for (; j + 2 <= nb; j += 2) {
            block(j, 0);
            block(j + 1, 1);
        }
        if (j < nb) block(j, 0);
    }
    for (int t = 0; t < T; ++t) {
        float result = hsum(_mm256_add_ps(acc[t][0], acc[t][1]));
        if constexpr (F::kMin) result += hsum(minimum_terms[t]) + tail_minimum[t];
        p.outputs[(t0 + t) * p.output_stride + row] = result;
    }
}

// ---- K-quants with Q8_K activations
// -------------------------------------------------------------------------

// Byte-shuffle controls that turn a vector holding scales 0..7 (or 8..15) of a super-block in both 128-bit
// halves into [scale 2c x 8 | scale 2c + 1 x 8], the 16-bit scales of the 32 elements of chunk c.
inline __m256i pair_control(int c) {
    int lo = 4 * (c % 4), hi = lo + 2;
    return _mm256_setr_m128i(_mm_set1_epi16(static_cast<short>((lo + 1) << 8 | lo)),
                             _mm_set1_epi16(static_cast<short>((hi + 1) << 8 | hi)));
}

// One super-block of one weight row times T activation super-blocks, added to acc[t].
//   integer part:  A = sum_c dot16(pairs(q_c * x_c), scales of chunk c) - offset * sum_j scale_j * bsum_j
//   minimum part:  M = sum_j min_j * bsum_j
//   acc += (d * d_x) * A - (dmin * d_x) * M
template <class Dot, class F, int T>
void k_superblock(const std::byte* w, const std::byte* const* x, __m256* acc) {
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
void k_gemv(const MatmulProblem& p, int64_t row, int64_t t0) {
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
        p.outputs[(t0 + t) * p.output_stride + row] = hsum(acc[t]);
}

// ---- rows of a problem
// ----------------------------------------------------------------------------------------

// Rows [row_begin, row_end) for every input, four inputs at a time. `Gemv` is legacy_gemv or k_gemv.
template <template <class, class, int> class Kernel, class Dot, class F>
void gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    for (int64_t r = row_begin; r < row_end; ++r) {
        int64_t t = 0;
        for (; t + 4 <= p.n; t += 4)
            Kernel<Dot, F, 4>::run(p, r, t);
        switch (p.n - t) {
            case 3:
                Kernel<Dot, F, 3>::run(p, r, t);
                break;
            case 2:
                Kernel<Dot, F, 2>::run(p, r, t);
                break;
            case 1:
                Kernel<Dot, F, 1>::run(p, r, t);
                break;
            default:
                break;
        }
    }
}

template <class Dot, class F, int T>
struct LegacyGemv {
    static void run(const MatmulProblem& p, int64_t row, int64_t t0) { legacy_gemv<Dot, F, T>(p, row, t0); }
};

template <class Dot, class F, int T>
struct KGemv {
    static void run(const MatmulProblem& p, int64_t row, int64_t t0) { k_gemv<Dot, F, T>(p, row, t0); }
};

}  // namespace
}  // namespace loom::simd
