// Matrix products with weights in any stored type: y[t, r] = dot(weights row r, inputs row t).
//
// Weights are [rows, k] in their stored type (F32, F16, BF16, quantized blocks). Inputs are n rows of k
// activations, already converted to the kernel's input type: F32 for float weights; for quantized weights the
// activations are quantized to 8 bits per block once (Q8_0S for the 32-element formats, Q8_K for K-quants),
// because integer dot products of two quantized blocks are what those formats are designed for (the exact
// arithmetic is written down in kernels/quant/quant_matmul_scalar.cpp). Outputs are F32.
//
// A kernel computes the outputs of a range of weight rows for all n inputs; the CPU backend hands ranges to
// threads. Loading a group of weight rows once and using it for every input is what makes prefill
// (n > 1) compute-bound instead of memory-bound.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_level.h"
#include "tensor/dtype.h"
#include "util/prefetch.h"

namespace loom {

struct MatmulProblem {
    const std::byte* weights = nullptr;  // row r at weights + r * weight_row_bytes
    size_t weight_row_bytes = 0;
    const std::byte* inputs = nullptr;  // input t at inputs + t * input_row_bytes, in the kernel's input type
    size_t input_row_bytes = 0;
    int64_t n = 0;             // number of inputs (tokens)
    int64_t k = 0;             // elements per row
    float* outputs = nullptr;  // y[t, r] at outputs[t * output_stride + r]
    int64_t output_stride = 0;
    // How far ahead of their reads the one-token kernels ask for the next page of weights; 0: not at all. The
    // CPU backend passes prefetch_ahead_bytes() (util/prefetch.h), read once rather than once per row.
    size_t prefetch_ahead_bytes = kDefaultPrefetchAheadBytes;
};

using MatmulRowsFn = void (*)(const MatmulProblem& problem, int64_t row_begin, int64_t row_end);
// Converts one row of k F32 activations to the kernel's input type.
using ConvertInputFn = void (*)(const float* x, int64_t k, std::byte* out);

struct MatmulKernel {
    DType weight_type;
    DType input_type;              // F32, or Q8_0S / Q8_K for quantized weights
    ConvertInputFn convert_input;  // null when input_type is F32
    MatmulRowsFn rows;
    int64_t row_multiple;  // ranges handed to `rows` should be multiples of this (except the last)
    KernelLevel level;
    // Whether the kernel reads its weights as interleaved rows (kernels/quant/interleaved.h) instead of the
    // stored layout: the SIMD kernels of the quantized formats do. Whoever owns the weights converts them
    // once (the CPU backend, when a model is loaded); weight_row_bytes stays that of a stored row.
    bool interleaved_rows = false;
};

// Where ranges of rows of a `k`-column matrix handed to `kernel` should start: its row_multiple, and for
// interleaved weights whole row blocks (kernels/quant/interleaved.h), so that a thread reads each range
// front to back.
int64_t chunk_row_multiple(const MatmulKernel& kernel, int64_t k);

// The rows of each chunk when the `rows` rows of a `k`-column matrix of the kernel's weight type are handed
// to threads in chunks of about `target_rows`: rounded down to chunk_row_multiple (rounding up could leave an
// odd number of large chunks, which two threads cannot share evenly), and at most kMaxChunkBytes of
// weights (or one row multiple, where that is more). The threads of a call end together only to within
// about a chunk: the one done first waits for the other's last. Cut four ways a thread, the output head of
// a 0.5B model came in chunks of 3-5 MB, and one thread sat idle for tens to a hundred microseconds at the
// end of every token's head; in 1 MiB chunks the head took 0.89-0.97x the time (loom-bench-matmul, the two
// cuttings alternating call by call, Q4_0 and Q8_0, 2 threads on the EPYC).
constexpr size_t kMaxChunkBytes = size_t{1} << 20;
int64_t chunk_rows(const MatmulKernel& kernel, int64_t k, int64_t rows, int64_t target_rows);

// The fastest kernel for `weight_type` on this CPU, or at most `level` (tests compare levels).
// Throws Error if no kernel multiplies that type.
const MatmulKernel& matmul_kernel(DType weight_type);
const MatmulKernel& matmul_kernel(DType weight_type, KernelLevel level);

// Registration of the per-level kernel tables (defined in matmul_scalar.cpp, matmul_avx2.cpp...): each
// returns the kernel of its level for `weight_type`, or nullptr.
const MatmulKernel* scalar_matmul_kernel(DType weight_type);
const MatmulKernel* avx2_matmul_kernel(DType weight_type);
const MatmulKernel* avx512_matmul_kernel(DType weight_type);

}  // namespace loom
