// Quantized matrix kernel for many inputs (prefill): weights repacked per panel of rows.
//
// Decode unpacks each weight block and uses it once; with many inputs the same block meets every input, so
// it pays to unpack it once into a form the multiply-adds consume directly. A panel holds R weight rows (16
// with AVX-512, 8 with AVX2) with their codes as bytes interleaved in 4-byte groups: one vector holds 4
// consecutive codes of each of the R rows, which is exactly what VPDPBUSD (or maddubs + madd) multiplies with
// 4 activation bytes broadcast to all lanes. Each lane then accumulates one row's dot product, so no
// horizontal sums are needed, and per block the float work (convert, scale, add) is done once for R rows.
//
// The micro-kernel computes R rows x T inputs: T running totals, T block sums and T integer sums stay in
// registers (T = 8 of AVX-512's 32 registers, T = 4 of AVX2's 16); every loaded weight vector serves T
// inputs and every broadcast activation word R rows. The panel (about 100 KB for k = 4864) stays in L2 while
// all inputs pass over it.
//
// Panels are packed from the weights' interleaved rows (kernels/quant/interleaved.h), whose 8-row groups
// already hold codes 4 bytes per row. Per panel and 32- or 256-element unit the panel stores:
//   legacy formats (unit = block):   codes[8][R][4] bytes, scale d[R] floats, minimum m[R] floats
//   K-quants (unit = super-block):   codes[64][R][4] bytes, sub-block scales d*scale_j[S][R] floats,
//                                    minimum pairs[8][R] (2 x int16), dmin (or d)[R] floats
// The integer sums are exact; the offsets of Q4_0, Q5_0 (and Q8_0 stored as w + 128) enter them through
// the activations' code sums, the minimums of K-quants through an integer product with their 16-element sums.
//
// Templates over a panel ISA (Zmm16 for AVX-512 VNNI, Ymm8<Dot> for AVX2) and a format. Include only from
// files compiled with AVX2 or better.
#pragma once

#include <immintrin.h>

#include "kernels/matmul.h"
#include "kernels/quant/simd_gemv.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
// 16 rows per panel in 512-bit vectors, VNNI dot products.
struct Zmm16 {
    static constexpr int kRows = 16, kTile = 8;
    static constexpr bool kSignTrick = false;  // Q8_0 stored as w + 128: VPDPBUSD does not saturate
    using I = __m512i;
    using F = __m512;
    static I zero() { return _mm512_setzero_si512(); }
    static F zerof() { return _mm512_setzero_ps(); }
    static I load(const std::byte* p) { return _mm512_load_si512(p); }
    static F loadf(const std::byte* p) { return _mm512_load_ps(reinterpret_cast<const float*>(p)); }
    static F set1(float v) { return _mm512_set1_ps(v); }
    static I dot_u8s8(I acc, I w, int32_t x4) { return _mm512_dpbusd_epi32(acc, w, _mm512_set1_epi32(x4)); }
    static I dot_s16(I acc, I w, int32_t x2) { return _mm512_dpwssd_epi32(acc, w, _mm512_set1_epi32(x2)); }
    static F cvt(I v) { return _mm512_cvtepi32_ps(v); }
    static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
    static F fnma(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static I broadcast(int32_t v) { return _mm512_set1_epi32(v); }
    static void store(float* out, F v, int rows) {
        _mm512_mask_storeu_ps(out, static_cast<__mmask16>((1u << rows) - 1), v);
    }
};
#endif

// 8 rows per panel in 256-bit vectors, with the dot products of an AVX2-level policy (maddubs or AVX-VNNI).
template <class Dot>
struct Ymm8 {
    static constexpr int kRows = 8, kTile = 4;
    static constexpr bool kSignTrick = !Dot::kVnni;  // maddubs would saturate on w + 128
    using I = __m256i;
    using F = __m256;
    static I zero() { return _mm256_setzero_si256(); }
    static F zerof() { return _mm256_setzero_ps(); }
    static I load(const std::byte* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
    static F loadf(const std::byte* p) { return _mm256_load_ps(reinterpret_cast<const float*>(p)); }
    static F set1(float v) { return _mm256_set1_ps(v); }
    static I dot_u8s8(I acc, I w, int32_t x4) { return Dot::dot_u8s8(acc, w, _mm256_set1_epi32(x4)); }
    static I dot_s16(I acc, I w, int32_t x2) { return Dot::dot_s16(acc, w, _mm256_set1_epi32(x2)); }
    static F cvt(I v) { return _mm256_cvtepi32_ps(v); }
    static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
    static F fnma(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
    static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static I broadcast(int32_t v) { return _mm256_set1_epi32(v); }
    static void store(float* out, F v, int rows) {
        alignas(32) float lanes[8];
        _mm256_store_ps(lanes, v);
        for (int r = 0; r < rows; ++r)
            out[r] = lanes[r];
    }
    static I abs(I w) { return _mm256_sign_epi8(w, w); }
    // Signed codes w (with |w| precomputed) times broadcast signed activations.
    static I dot_s8s8(I acc, I w_abs, I w, int32_t x4) {
        return Dot::dot_u8s8(acc, w_abs, _mm256_sign_epi8(_mm256_set1_epi32(x4), w));
    }
};

// ---- 32-element formats ------------------------------------------------------------------------------

template <class Isa, class Fmt>
struct LegacyPanel {
    static constexpr int R = Isa::kRows;
    static constexpr int kUnitElements = 32;
    static constexpr size_t kCodeBytes = 32 * R;
    static constexpr size_t kUnitBytes = kCodeBytes + 2 * 4 * R;  // codes, scales, minimums
    // Q8_0 codes are signed: with VNNI stored with the sign bit flipped (w + 128) and the 128 taken back
    // through the activations' sum like the unsigned offsets of Q4_0 and Q5_0; without, kept signed for the
    // sign trick.
    static constexpr bool kSignTrick = Fmt::kSigned && Isa::kSignTrick;
    static constexpr int kOffset = Fmt::kSigned ? (kSignTrick ? 0 : 128) : Fmt::kOffset;

    // The panel of rows r0 .. r0 + R - 1 from the interleaved weights: each group of 8 rows gives, per
    // block, the 8 code vectors that are the panel's columns for those rows, and its 8 scales. (Rows past
    // `rows` are the zero padding of the last group, or zeros.)
    static void pack(const MatmulProblem& p, int64_t r0, int rows, std::byte* panel) {
        const InterleavedLayout layout =
            interleaved_layout(Fmt::kGroupBlock / kInterleavedRows, kLegacyBlock, p.k);
        const int64_t units = p.k / 32;
        for (int h = 0; h < R / kInterleavedRows; ++h) {
            const bool present = h * kInterleavedRows < rows;
            const int64_t group = r0 / kInterleavedRows + h;
            for (int64_t u = 0; u < units; ++u) {
                std::byte* out = panel + u * static_cast<int64_t>(kUnitBytes);
                auto* scale = reinterpret_cast<float*>(out + kCodeBytes) + kInterleavedRows * h;
                float* minimum = scale + R;
                const std::byte* gb = p.weights + layout.offset(group, u);
                __m256i q[8];
                if (present) {
                    group_codes<Fmt>(gb, q);
                    _mm256_storeu_ps(scale, group_halves(gb));
                    _mm256_storeu_ps(minimum,
                                     Fmt::kMin ? group_halves(gb + Fmt::kMins) : _mm256_setzero_ps());
                } else {
                    for (__m256i& v : q)
                        v = _mm256_setzero_si256();
                    _mm256_storeu_ps(scale, _mm256_setzero_ps());
                    _mm256_storeu_ps(minimum, _mm256_setzero_ps());
                }
                for (int g = 0; g < 8; ++g) {
                    __m256i v = q[g];
                    if constexpr (Fmt::kSigned && !kSignTrick)
                        v = _mm256_xor_si256(v, _mm256_set1_epi8(static_cast<char>(0x80)));
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + g * 4 * R + 32 * h), v);
                }
            }
        }
    }

    // R rows x T inputs over the whole k.
    template <int T>
    static void multiply(const MatmulProblem& p, const std::byte* panel, int64_t t0, typename Isa::F* acc) {
        using I = typename Isa::I;
        const int64_t units = p.k / 32;
        const std::byte* x[T];
        for (int t = 0; t < T; ++t)
            x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);
        // The offset enters each row's integer sum as -offset * sum(x): pairs (-offset, 0) times the 32-bit
        // sum seen as two 16-bit halves (|sum| <= 32 * 127 fits the low half).
        const I offset_pairs = Isa::broadcast(static_cast<uint16_t>(-kOffset));
        for (int t = 0; t < T; ++t)
            acc[t] = Isa::zerof();
        for (int64_t u = 0; u < units; ++u) {
            const std::byte* unit = panel + u * static_cast<int64_t>(kUnitBytes);
            I sum[T];
            for (int t = 0; t < T; ++t) {
                sum[t] = Isa::zero();
                if constexpr (kOffset != 0)
                    sum[t] = Isa::dot_s16(sum[t], offset_pairs, load_i32(x[t] + kQ8SSum));
            }
            for (int g = 0; g < 8; ++g) {
                I w = Isa::load(unit + g * 4 * R);
                if constexpr (kSignTrick) {
                    I w_abs = Isa::abs(w);
                    for (int t = 0; t < T; ++t)
                        sum[t] = Isa::dot_s8s8(sum[t], w_abs, w, load_i32(x[t] + kQ8SCodes + 4 * g));
                } else {
                    for (int t = 0; t < T; ++t)
                        sum[t] = Isa::dot_u8s8(sum[t], w, load_i32(x[t] + kQ8SCodes + 4 * g));
                }
            }
            const auto scale = Isa::loadf(unit + kCodeBytes);
            for (int t = 0; t < T; ++t) {
                float dx;
                std::memcpy(&dx, x[t] + kQ8SScale, 4);
                acc[t] = Isa::fma(Isa::cvt(sum[t]), Isa::mul(scale, Isa::set1(dx)), acc[t]);
            }
            if constexpr (Fmt::kMin) {
                const auto minimum = Isa::loadf(unit + kCodeBytes + 4 * R);
                for (int t = 0; t < T; ++t) {
                    float ds;
                    std::memcpy(&ds, x[t] + kQ8SScaledSum, 4);
                    acc[t] = Isa::fma(minimum, Isa::set1(ds), acc[t]);
                }
            }
            for (int t = 0; t < T; ++t)
                x[t] += kQ8SBytes;
        }
    }
};

// ---- K-quants -------------------------------------------------------------------------------------------

template <class Isa, class Fmt>
struct KPanel {
    static constexpr int R = Isa::kRows;
    static constexpr int kUnitElements = kSuperBlock;
    static constexpr int kSubBlocks = kSuperBlock / Fmt::kSub;
    static constexpr size_t kCodeBytes = kSuperBlock * R;
    static constexpr size_t kScaleOffset = kCodeBytes;
    static constexpr size_t kPairOffset = kScaleOffset + kSubBlocks * 4 * R;
    static constexpr size_t kMinScaleOffset = kPairOffset + 8 * 4 * R;
    static constexpr size_t kUnitBytes = kMinScaleOffset + 4 * R;

    // The panel of rows r0 .. r0 + R - 1 from the interleaved weights: each group of 8 rows gives, per
    // super-block, the code vectors that are the panel's columns for those rows (simd_k_quants.h's
    // round_codes), and its scales 8 rows at a time. (Rows past `rows` are the zero padding of the last
    // group, or zeros.)
    static void pack(const MatmulProblem& p, int64_t r0, int rows, std::byte* panel) {
        const InterleavedLayout layout =
            interleaved_layout(Fmt::kGroupBlock / kInterleavedRows, kSuperBlock, p.k);
        const int64_t units = p.k / kSuperBlock;
        for (int h = 0; h < R / kInterleavedRows; ++h) {
            const bool present = h * kInterleavedRows < rows;
            const int64_t group = r0 / kInterleavedRows + h;
            for (int64_t u = 0; u < units; ++u) {
                std::byte* out = panel + u * static_cast<int64_t>(kUnitBytes);
                auto lanes = [&](size_t offset, int index) {
                    return out + offset + 4 * (static_cast<size_t>(index) * R + kInterleavedRows * h);
                };
                const std::byte* gb = p.weights + layout.offset(group, u);
                if (!present) {
                    for (int g = 0; g < kSuperBlock / 4; ++g)
                        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + g * 4 * R + 32 * h),
                                            _mm256_setzero_si256());
                    for (int j = 0; j < kSubBlocks; ++j)
                        _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes(kScaleOffset, j)),
                                            _mm256_setzero_si256());
                    for (int i = 0; i < 8; ++i)
                        _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes(kPairOffset, i)),
                                            _mm256_setzero_si256());
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes(kMinScaleOffset, 0)),
                                        _mm256_setzero_si256());
                    continue;
                }
                for_each_index<Fmt::kRounds>([&](auto round) {
                    Fmt::template round_codes<round>(gb, [&](int, int element, __m256i q) {
                        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + element * R + 32 * h), q);
                    });
                });
                const typename Fmt::GroupScales s = Fmt::group_scales(gb);
                const __m256 d = group_halves(gb + Fmt::kGroupD);
                for_each_index<kSubBlocks>([&](auto j) {
                    _mm256_storeu_ps(reinterpret_cast<float*>(lanes(kScaleOffset, j)),
                                     _mm256_mul_ps(d, _mm256_cvtepi32_ps(Fmt::template scale<j>(s))));
                });
                for_each_index<8>([&](auto i) {
                    const __m256i low =
                        _mm256_and_si256(Fmt::template min16<2 * i>(s), _mm256_set1_epi32(0xffff));
                    const __m256i high = _mm256_slli_epi32(Fmt::template min16<2 * i + 1>(s), 16);
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes(kPairOffset, i)),
                                        _mm256_or_si256(low, high));
                });
                _mm256_storeu_ps(reinterpret_cast<float*>(lanes(kMinScaleOffset, 0)),
                                 group_halves(gb + Fmt::kGroupDmin));
            }
        }
    }

    template <int T>
    static void multiply(const MatmulProblem& p, const std::byte* panel, int64_t t0, typename Isa::F* acc) {
        using I = typename Isa::I;
        using F = typename Isa::F;
        constexpr int kGroups = Fmt::kSub / 4;
        const int64_t units = p.k / kSuperBlock;
        const std::byte* x[T];
        for (int t = 0; t < T; ++t)
            x[t] = p.inputs + (t0 + t) * static_cast<int64_t>(p.input_row_bytes);
        for (int t = 0; t < T; ++t)
            acc[t] = Isa::zerof();
        for (int64_t u = 0; u < units; ++u) {
            const std::byte* unit = panel + u * static_cast<int64_t>(kUnitBytes);
            F block_sum[T];
            for (int t = 0; t < T; ++t)
                block_sum[t] = Isa::zerof();
            for (int j = 0; j < kSubBlocks; ++j) {
                I sum[T];
                for (int t = 0; t < T; ++t)
                    sum[t] = Isa::zero();
                for (int g = 0; g < kGroups; ++g) {
                    I w = Isa::load(unit + 4 * R * (j * kGroups + g));
                    for (int t = 0; t < T; ++t)
                        sum[t] = Isa::dot_u8s8(sum[t], w, load_i32(x[t] + kQ8KCodes + Fmt::kSub * j + 4 * g));
                }
                const F scale = Isa::loadf(unit + kScaleOffset + 4 * R * j);
                for (int t = 0; t < T; ++t)
                    block_sum[t] = Isa::fma(Isa::cvt(sum[t]), scale, block_sum[t]);
            }
            I minimum[T];
            for (int t = 0; t < T; ++t)
                minimum[t] = Isa::zero();
            for (int i = 0; i < 8; ++i) {
                I pair = Isa::load(unit + kPairOffset + 4 * R * i);
                for (int t = 0; t < T; ++t)
                    minimum[t] = Isa::dot_s16(minimum[t], pair, load_i32(x[t] + kQ8KSums + 4 * i));
            }
            const F min_scale = Isa::loadf(unit + kMinScaleOffset);
            for (int t = 0; t < T; ++t) {
                float dx;
                std::memcpy(&dx, x[t] + kQ8KScale, 4);
                block_sum[t] = Isa::fnma(Isa::cvt(minimum[t]), min_scale, block_sum[t]);
                acc[t] = Isa::fma(block_sum[t], Isa::set1(dx), acc[t]);
                x[t] += sizeof(BlockQ8_K);
            }
        }
    }
};

// ---- rows of a problem ---------------------------------------------------------------------------------

template <class Isa, class Panel, int T>
void panel_tile(const MatmulProblem& p, const std::byte* panel, int64_t r0, int rows, int64_t t0) {
    typename Isa::F acc[T];
    Panel::template multiply<T>(p, panel, t0, acc);
    for (int t = 0; t < T; ++t)
        Isa::store(p.outputs + (t0 + t) * p.output_stride + r0, acc[t], rows);
}

// Rows [row_begin, row_end) for all inputs: panel by panel, each multiplied with tiles of inputs.
template <class Isa, class Panel>
void gemm_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    constexpr int R = Isa::kRows, T = Isa::kTile;
    const int64_t units = p.k / Panel::kUnitElements;
    thread_local ScratchBuffer buffer;
    std::byte* panel = buffer.get(static_cast<size_t>(units) * Panel::kUnitBytes);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += R) {
        const int rows = static_cast<int>(min64(R, row_end - r0));
        Panel::pack(p, r0, rows, panel);
        int64_t t = 0;
        for (; t + T <= p.n; t += T)
            panel_tile<Isa, Panel, T>(p, panel, r0, rows, t);
        if constexpr (T > 4)
            if (t + 4 <= p.n) panel_tile<Isa, Panel, 4>(p, panel, r0, rows, t), t += 4;
        if (t + 2 <= p.n) panel_tile<Isa, Panel, 2>(p, panel, r0, rows, t), t += 2;
        if (t < p.n) panel_tile<Isa, Panel, 1>(p, panel, r0, rows, t);
    }
}

}  // namespace
}  // namespace loom::simd

namespace loom::simd {
namespace {

// From this many inputs on, packing a panel of weights pays for itself.
constexpr int64_t kPrefillInputs = 8;

// Rows of weight type Type: the few-input kernels below kPrefillInputs inputs, panels from there on.
template <class Isa, class Dot, class Format>
void panel_or_gemv_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    using F = typename Format::F;
    if (p.n <= 0) return;
    if (p.n < kPrefillInputs) {
        if constexpr (Format::kK)
            k_gemv_rows<Dot, F>(p, row_begin, row_end);
        else
            legacy_gemv_rows<Dot, F>(p, row_begin, row_end);
    } else if constexpr (Format::kK) {
        gemm_rows<Isa, KPanel<Isa, F>>(p, row_begin, row_end);
    } else {
        gemm_rows<Isa, LegacyPanel<Isa, F>>(p, row_begin, row_end);
    }
}

}  // namespace
}  // namespace loom::simd
