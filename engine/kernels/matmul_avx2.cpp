// AVX2 + FMA kernels for float weights (F32, F16, BF16) with F32 inputs.
//
// Same scheme as matmul_avx512.cpp with 8-wide vectors and a 4 x 2 tile: 8 accumulators, 2 inputs and a
// weight vector stay within the 16 ymm registers. Row tails shorter than 8 are finished in scalar code.
#include <immintrin.h>

#include <cstring>

#include "kernels/matmul.h"
#include "kernels/quant/quant_matmul.h"
#include "util/half.h"
#include "util/prefetch.h"

namespace loom {

namespace {

struct LoadF32 {
    static constexpr int kBytes = 4;  // per element
    static __m256 load(const std::byte* row, int64_t i) {
        return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
    }
    static float scalar(const std::byte* row, int64_t i) {
        float v;
        std::memcpy(&v, row + 4 * i, 4);
        return v;
    }
};

struct LoadF16 {
    static constexpr int kBytes = 2;  // per element
    static __m256 load(const std::byte* row, int64_t i) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
    }
    static float scalar(const std::byte* row, int64_t i) {
        uint16_t v;
        std::memcpy(&v, row + 2 * i, 2);
        return fp16_to_float(v);
    }
};

struct LoadBF16 {
    static constexpr int kBytes = 2;  // per element
    static __m256 load(const std::byte* row, int64_t i) {
        __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
    }
    static float scalar(const std::byte* row, int64_t i) {
        uint16_t v;
        std::memcpy(&v, row + 2 * i, 2);
        return bf16_to_float(v);
    }
};

float horizontal_sum(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

template <class Load, int Rows, int Inputs>
void tile(const MatmulProblem& p, int64_t r0, int64_t t0) {
    const std::byte* w[Rows];
    const float* x[Inputs];
    for (int r = 0; r < Rows; ++r)
        w[r] = p.weights + (r0 + r) * p.weight_row_bytes;
    for (int t = 0; t < Inputs; ++t)
        x[t] = reinterpret_cast<const float*>(p.inputs + (t0 + t) * p.input_row_bytes);

    __m256 acc[Rows][Inputs];
    for (int r = 0; r < Rows; ++r)
        for (int t = 0; t < Inputs; ++t)
            acc[r][t] = _mm256_setzero_ps();

    int64_t i = 0;
    for (; i + 8 <= p.k; i += 8) {
        __m256 xv[Inputs];
        for (int t = 0; t < Inputs; ++t)
            xv[t] = _mm256_loadu_ps(x[t] + i);
        for (int r = 0; r < Rows; ++r) {
            __m256 wv = Load::load(w[r], i);
            for (int t = 0; t < Inputs; ++t)
                acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int t = 0; t < Inputs; ++t) {
        for (int r = 0; r < Rows; ++r) {
            float sum = horizontal_sum(acc[r][t]);
            for (int64_t j = i; j < p.k; ++j)
                sum += Load::scalar(w[r], j) * x[t][j];
            p.outputs[(t0 + t) * p.output_stride + r0 + r] = sum;
        }
    }
}

// One weight row times one input (decode), rows read one after the other as a single sequential stream
// that asks for the page `ahead` bytes on as it enters each (see matmul_avx512.cpp), four independent
// accumulators.

template <class Load>
float row_dot(const std::byte* w, const float* x, int64_t k, size_t ahead) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
        prefetch_next_page<32 * Load::kBytes>(w + i * Load::kBytes, ahead);
        for (int u = 0; u < 4; ++u)
            acc[u] = _mm256_fmadd_ps(Load::load(w, i + 8 * u), _mm256_loadu_ps(x + i + 8 * u), acc[u]);
    }
    for (; i + 8 <= k; i += 8)
        acc[0] = _mm256_fmadd_ps(Load::load(w, i), _mm256_loadu_ps(x + i), acc[0]);
    float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < k; ++i)
        sum += Load::scalar(w, i) * x[i];
    return sum;
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
        for (; t + 2 <= p.n; t += 2)
            tile<Load, 4, 2>(p, r, t);
        for (; t < p.n; ++t)
            tile<Load, 4, 1>(p, r, t);
    }
    for (; r < row_end; ++r)
        for (int64_t t = 0; t < p.n; ++t)
            tile<Load, 1, 1>(p, r, t);
}

const MatmulKernel kF32{DType::F32, DType::F32, nullptr, rows<LoadF32>, 4, KernelLevel::Avx2};
const MatmulKernel kF16{DType::F16, DType::F32, nullptr, rows<LoadF16>, 4, KernelLevel::Avx2};
const MatmulKernel kBF16{DType::BF16, DType::F32, nullptr, rows<LoadBF16>, 4, KernelLevel::Avx2};

}  // namespace

const MatmulKernel* avx2_matmul_kernel(DType weight_type) {
    switch (weight_type) {
        case DType::F32:
            return &kF32;
        case DType::F16:
            return &kF16;
        case DType::BF16:
            return &kBF16;
        default:
            return avx2_quant_matmul_kernel(weight_type);
    }
}

}  // namespace loom
