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

// ---- 32-element formats with Q8_0S activations ---------------------------------------------------------

constexpr size_t kQ8SBytes = sizeof(BlockQ8_0S);
constexpr size_t kQ8SScale = offsetof(BlockQ8_0S, d);
constexpr size_t kQ8SSum = offsetof(BlockQ8_0S, sum);
constexpr size_t kQ8SScaledSum = offsetof(BlockQ8_0S, dsum);
constexpr size_t kQ8SCodes = offsetof(BlockQ8_0S, qs);

// The unsigned codes the dot products use for a format, and the offset they carry. With VNNI, Q8_0's signed
// codes get their sign bit flipped (w + 128: one instruction) and the 128 is taken back like Q4_0's 8;
// without VNNI they stay signed and go through the sign trick of dot_s8s8_avx2 (maddubs would overflow on w +
// 128).
template <class Dot, class F>
struct LegacyCodes {
    static constexpr bool kSignTrick = F::kSigned && !Dot::kVnni;
    static constexpr int kOffset = F::kSigned ? (Dot::kVnni ? 128 : 0) : F::kOffset;
    static __m256i load(const std::byte* block) {
        __m256i q = F::template codes<Dot>(block);
        if constexpr (F::kSigned && Dot::kVnni)
            q = _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));
        return q;
    }
};

// What the legacy kernels need of the activations, laid out once per call (for all rows of the call) so that
// the inner loops read it with aligned, contiguous loads: per input and block the 32 codes, the float scale
// d_x, and the per-block term that the weights' offset or minimum multiplies:
//   offset formats: value = d * (q - offset) = d * q - d * offset; the second part contributes
//                   d * (-offset * d_x * sum(x)), so the term is -offset * d_x * sum(x) (times the weights'
//                   d);
//   minimum formats: value = d * q + m, contributing m * (d_x * sum(x)), so the term is d_x * sum(x) (times
//   m).
// Rows of `stride` blocks, padded with zeros to a multiple of 8.
template <class Dot, class F>
struct LegacyInputs {
    static constexpr int kOffset = LegacyCodes<Dot, F>::kOffset;
    int64_t stride = 0;
    int8_t* codes = nullptr;  // [n][stride][32]
    float* scale = nullptr;   // [n][stride]
    float* term = nullptr;    // [n][stride]

    LegacyInputs(const MatmulProblem& p, ScratchBuffer& buffer) {
        const int64_t blocks = p.k / 32;
        stride = (blocks + 7) / 8 * 8;
        const size_t entries = static_cast<size_t>(stride * p.n);
        std::byte* memory = buffer.get(entries * (32 + 4 + 4));
        codes = reinterpret_cast<int8_t*>(memory);
        scale = reinterpret_cast<float*>(memory + entries * 32);
        term = scale + entries;
        std::memset(scale, 0, entries * 8);
        for (int64_t t = 0; t < p.n; ++t) {
            const std::byte* x = p.inputs + t * static_cast<int64_t>(p.input_row_bytes);
            for (int64_t b = 0; b < blocks; ++b, x += kQ8SBytes) {
                const int64_t at = t * stride + b;
                std::memcpy(codes + at * 32, x + kQ8SCodes, 32);
                std::memcpy(&scale[at], x + kQ8SScale, 4);
                float scaled_sum;
                std::memcpy(&scaled_sum, x + kQ8SScaledSum, 4);
                term[at] = F::kMin ? scaled_sum : static_cast<float>(-kOffset) * scaled_sum;
            }
        }
    }
};

// One weight row times inputs t0 .. t0 + T - 1. Per chunk of blocks, a first pass converts the fp16 block
// scales eight at a time, multiplies them with the activation scales, and accumulates the offset or minimum
// terms (see LegacyInputs); a second pass does the integer dot products, one conversion and one fused
// multiply-add per block.
template <class Dot, class F, int T>
void legacy_gemv(const MatmulProblem& p, const LegacyInputs<Dot, F>& in, int64_t row, int64_t t0,
                 __m256* out) {
    using Codes = LegacyCodes<Dot, F>;
    constexpr int kChunk = 64;
    constexpr int B = static_cast<int>(F::kBytes);
    constexpr bool kTerm = F::kMin || Codes::kOffset != 0;
    const std::byte* w = p.weights + row * static_cast<int64_t>(p.weight_row_bytes);
    const int64_t blocks = p.k / 32;

    // Independent accumulators per input: a fused multiply-add takes 4 cycles, a block about 2.
    constexpr int P = T == 1 ? 4 : 2;
    __m256 acc[T][P], terms[T];
    for (int t = 0; t < T; ++t) {
        for (int i = 0; i < P; ++i)
            acc[t][i] = _mm256_setzero_ps();
        terms[t] = _mm256_setzero_ps();
    }
    alignas(32) float scale[T][kChunk];

    for (int64_t b0 = 0; b0 < blocks; b0 += kChunk) {
        const int nb = static_cast<int>(min64(kChunk, blocks - b0));
        const std::byte* wc = w + b0 * B;
        // Pass 1: d (and m) of eight blocks at a time.
        auto scales8 = [&](int i, __m256 d, __m256 m) {
            for (int t = 0; t < T; ++t) {
                const int64_t at = (t0 + t) * in.stride + b0 + i;
                _mm256_store_ps(&scale[t][i], _mm256_mul_ps(d, _mm256_load_ps(in.scale + at)));
                if constexpr (kTerm)
                    terms[t] = _mm256_fmadd_ps(F::kMin ? m : d, _mm256_load_ps(in.term + at), terms[t]);
            }
        };
        int i = 0;
        for (; i + 8 <= nb; i += 8) {  // (a constant count lets the masks be constants)
            const std::byte* wb = wc + i * B;
            scales8(i, Dot::template halves8<B>(wb, 8),
                    F::kMin ? Dot::template halves8<B>(wb + 2, 8) : __m256{});
        }
        if (i < nb) {
            const std::byte* wb = wc + i * B;
            scales8(i, Dot::template halves8<B>(wb, nb - i),
                    F::kMin ? Dot::template halves8<B>(wb + 2, nb - i) : __m256{});
        }

        // Pass 2: integer dot products.
        const int8_t* xc[T];
        for (int t = 0; t < T; ++t)
            xc[t] = in.codes + ((t0 + t) * in.stride + b0) * 32;
        auto block = [&](int j, int parity) {
            __m256i q = Codes::load(wc + j * B);
            for (int t = 0; t < T; ++t) {
                __m256i xq = _mm256_load_si256(reinterpret_cast<const __m256i*>(xc[t] + 32 * j));
                __m256i sum = Codes::kSignTrick ? dot_s8s8_avx2<Dot>(_mm256_setzero_si256(), q, xq)
                                                : Dot::dot_u8s8(_mm256_setzero_si256(), q, xq);
                acc[t][parity] =
                    _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(scale[t][j]), acc[t][parity]);
            }
        };
        int j = 0;
        for (; j + 4 <= nb; j += 4) {
            // Pass 1 touches each cache line of a chunk first and would wait for memory with little work to
            // overlap: fetch the next chunk while this one is computed (4 blocks: at least 64 bytes).
            _mm_prefetch(reinterpret_cast<const char*>(wc + (kChunk + j) * B), _MM_HINT_T0);
            if constexpr (B * 4 > 64)
                _mm_prefetch(reinterpret_cast<const char*>(wc + (kChunk + j) * B + 64), _MM_HINT_T0);
            block(j, 0);
            block(j + 1, 1 % P);
            block(j + 2, 2 % P);
            block(j + 3, 3 % P);
        }
        for (; j < nb; ++j)
            block(j, 0);
    }
    for (int t = 0; t < T; ++t) {
        __m256 total = acc[t][0];
        for (int i = 1; i < P; ++i)
            total = _mm256_add_ps(total, acc[t][i]);
        if constexpr (kTerm) total = _mm256_add_ps(total, terms[t]);
        out[t] = total;
    }
}

// ---- K-quants with Q8_K activations --------------------------------------------------------------------

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
        int64_t t = 0;
        for (; t + 4 <= p.n; t += 4)
            run.template operator()<4>(t);
        switch (p.n - t) {
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
}

template <class Dot, class F>
void legacy_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    thread_local ScratchBuffer buffer;
    LegacyInputs<Dot, F> in(p, buffer);
    gemv_rows(p, row_begin, row_end, [&]<int T>(int64_t row, int64_t t0, __m256* out) {
        legacy_gemv<Dot, F, T>(p, in, row, t0, out);
    });
}

template <class Dot, class F>
void k_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    gemv_rows(p, row_begin, row_end,
              [&]<int T>(int64_t row, int64_t t0, __m256* out) { k_gemv<Dot, F, T>(p, row, t0, out); });
}

}  // namespace
}  // namespace loom::simd
