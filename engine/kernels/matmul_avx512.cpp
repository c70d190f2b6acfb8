// AVX-512 kernels for float weights (F32, F16, BF16) with F32 inputs.
//
// The micro-kernel computes a tile of Rows weight rows x Inputs input rows: each step loads 16 elements of
// every weight row (converted to F32 in registers) and of every input, then does Rows*Inputs fused
// multiply-adds. With 4 x 4 the 16 accumulators, 4 inputs and 1 weight vector fit in the 32 zmm registers
// and each loaded weight vector is used 4 times, so prefill is bound by FMA throughput rather than by
// loads; decode (one input) streams weights and is bound by memory bandwidth.
#include <immintrin.h>

#include "kernels/matmul.h"
#include "kernels/quant/quant_matmul.h"
#include "kernels/simd_avx512.h"
#include "util/prefetch.h"

namespace loom {

namespace {

struct LoadF32 {
    static constexpr int kBytes = 4;  // per element
    static __m512 load(const std::byte* row, int64_t i) {
        return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + i);
    }
    static __m512 load_tail(const std::byte* row, int64_t i, __mmask16 mask) {
        return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(row) + i);
    }
};

struct LoadF16 {
    static constexpr int kBytes = 2;  // per element
    static __m512 load(const std::byte* row, int64_t i) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * i)));
    }
    static __m512 load_tail(const std::byte* row, int64_t i, __mmask16 mask) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, row + 2 * i));
    }
};

struct LoadBF16 {
    static constexpr int kBytes = 2;  // per element
    static __m512 widen(__m256i bits) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
    }
    static __m512 load(const std::byte* row, int64_t i) {
        return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * i)));
    }
    static __m512 load_tail(const std::byte* row, int64_t i, __mmask16 mask) {
        return widen(_mm256_maskz_loadu_epi16(mask, row + 2 * i));
    }
};

template <class Load, int Rows, int Inputs>
void tile(const MatmulProblem& p, int64_t r0, int64_t t0) {
    const std::byte* w[Rows];
    const float* x[Inputs];
    for (int r = 0; r < Rows; ++r)
        w[r] = p.weights + (r0 + r) * p.weight_row_bytes;
    for (int t = 0; t < Inputs; ++t)
        x[t] = reinterpret_cast<const float*>(p.inputs + (t0 + t) * p.input_row_bytes);

    __m512 acc[Rows][Inputs];
    for (int r = 0; r < Rows; ++r)
        for (int t = 0; t < Inputs; ++t)
            acc[r][t] = _mm512_setzero_ps();

    int64_t i = 0;
    for (; i + 16 <= p.k; i += 16) {
        __m512 xv[Inputs];
        for (int t = 0; t < Inputs; ++t)
            xv[t] = _mm512_loadu_ps(x[t] + i);
        for (int r = 0; r < Rows; ++r) {
            __m512 wv = Load::load(w[r], i);
            for (int t = 0; t < Inputs; ++t)
                acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    if (i < p.k) {
        __mmask16 mask = avx512::first_lanes(p.k - i);
        __m512 xv[Inputs];
        for (int t = 0; t < Inputs; ++t)
            xv[t] = _mm512_maskz_loadu_ps(mask, x[t] + i);
        for (int r = 0; r < Rows; ++r) {
            __m512 wv = Load::load_tail(w[r], i, mask);
            for (int t = 0; t < Inputs; ++t)
                acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int t = 0; t < Inputs; ++t)
        for (int r = 0; r < Rows; ++r)
            p.outputs[(t0 + t) * p.output_stride + r0 + r] = avx512::reduce_add(acc[r][t]);
}

// One weight row times one input (decode). Rows are read one after the other, a single sequential stream:
// the 4-row tile above, which reads four rows side by side, streams from memory at about half the speed
// (the hardware prefetchers follow one stream far better than four interleaved short ones). Four independent
// accumulators hide the latency of the fused multiply-adds. Entering each page of weights, it asks for the
// page `ahead` bytes further on, into the next rows (util/prefetch.h says why).

template <class Load>
float row_dot(const std::byte* w, const float* x, int64_t k, size_t ahead) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t i = 0;
    for (; i + 64 <= k; i += 64) {
        prefetch_next_page<64 * Load::kBytes>(w + i * Load::kBytes, ahead);
        for (int u = 0; u < 4; ++u)
            acc[u] = _mm512_fmadd_ps(Load::load(w, i + 16 * u), _mm512_loadu_ps(x + i + 16 * u), acc[u]);
    }
    for (; i < k; i += 16) {
        __mmask16 mask = avx512::first_lanes(k - i < 16 ? k - i : 16);
        acc[0] = _mm512_fmadd_ps(Load::load_tail(w, i, mask), _mm512_maskz_loadu_ps(mask, x + i), acc[0]);
    }
    return avx512::reduce_add(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

template <class Load>
void rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    if (p.n == 1) {
        const float* x = reinterpret_cast<const float*>(p.inputs);
        for (int64_t r = row_begin; r < row_end; ++r)
            p.outputs[r] = row_dot<Load>(p.weights + r * p.weight_row_bytes, x, p.k, p.prefetch_ahead_bytes);
        return;
    }
    int64_t r = row_begin;
    for (; r + 4 <= row_end; r += 4) {
        int64_t t = 0;
        for (; t + 4 <= p.n; t += 4)
            tile<Load, 4, 4>(p, r, t);
        for (; t < p.n; ++t)
            tile<Load, 4, 1>(p, r, t);
    }
    for (; r < row_end; ++r) {
        int64_t t = 0;
        for (; t + 4 <= p.n; t += 4)
            tile<Load, 1, 4>(p, r, t);
        for (; t < p.n; ++t)
            tile<Load, 1, 1>(p, r, t);
    }
}

const MatmulKernel kF32{DType::F32, DType::F32, nullptr, rows<LoadF32>, 4, KernelLevel::Avx512};
const MatmulKernel kF16{DType::F16, DType::F32, nullptr, rows<LoadF16>, 4, KernelLevel::Avx512};
const MatmulKernel kBF16{DType::BF16, DType::F32, nullptr, rows<LoadBF16>, 4, KernelLevel::Avx512};

}  // namespace

const MatmulKernel* avx512_matmul_kernel(DType weight_type) {
    switch (weight_type) {
        case DType::F32:
            return &kF32;
        case DType::F16:
            return &kF16;
        case DType::BF16:
            return &kBF16;
        default:
            return avx512_quant_matmul_kernel(weight_type);
    }
}

}  // namespace loom
