// Inner loops of attention and normalisation on F32 vectors, with SIMD versions picked at run time.
#pragma once

#include <cstdint>

#include "kernels/kernel_level.h"

namespace loom {

struct VectorKernels {
    float (*dot)(const float* a, const float* b, int64_t n);
    void (*axpy)(float a, const float* x, float* y, int64_t n);  // y += a * x
    // out = silu(gate) * up, as swiglu_row (kernels/ops.h) defines it
    void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out);
    // x = softmax(x) in place, as softmax_row defines it
    void (*softmax)(float* x, int64_t n);
    KernelLevel level;
};

const VectorKernels& vector_kernels();  // the best for this CPU
const VectorKernels& vector_kernels(KernelLevel level);

const VectorKernels* avx2_vector_kernels();
const VectorKernels* avx512_vector_kernels();

}  // namespace loom
