// Inner loops of attention, normalisation and token choice on F32 vectors, with SIMD versions picked at run
// time.
#pragma once

#include <cstdint>

#include "kernels/kernel_level.h"

namespace loom {

// Attention over a cache reads `count` rows of n floats, `stride` floats apart: one call per head and token
// covers all of them, so that rows overlap in the pipeline instead of each paying a call and a reduction.
struct VectorKernels {
    // out[j] = dot(q, rows + j * stride) for j < count (a query against every key)
    void (*dot_rows)(const float* q, const float* rows, int64_t stride, int64_t count, int64_t n, float* out);
    // out = sum over j < count of weights[j] * (rows + j * stride), overwriting out (values by probabilities)
    void (*sum_rows)(const float* weights, const float* rows, int64_t stride, int64_t count, int64_t n,
                     float* out);
    // out = silu(gate) * up, as swiglu_row (kernels/ops.h) defines it
    void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out);
    // x = softmax(x) in place, returning log(sum(exp(x))), as softmax_row defines it
    float (*softmax)(float* x, int64_t n);
    // out = x / sqrt(mean(x^2) + eps) * weight, as rms_norm_row defines it (squares summed in double)
    void (*rms_norm)(const float* x, const float* weight, int64_t n, float eps, float* out);
    // the index of the largest of x[0 .. n), as argmax_row defines it (the vocabulary's logits)
    int64_t (*argmax)(const float* x, int64_t n);
    KernelLevel level;
};

const VectorKernels& vector_kernels();  // the best for this CPU
const VectorKernels& vector_kernels(KernelLevel level);

const VectorKernels* avx2_vector_kernels();
const VectorKernels* avx512_vector_kernels();

}  // namespace loom
