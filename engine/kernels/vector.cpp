#include "kernels/vector.h"

#include "kernels/ops.h"

namespace loom {

namespace {

void dot_rows_scalar(const float* q, const float* rows, int64_t stride, int64_t count, int64_t n,
                     float* out) {
    for (int64_t j = 0; j < count; ++j) {
        const float* row = rows + j * stride;
        float sum = 0.0f;
        for (int64_t i = 0; i < n; ++i)
            sum += q[i] * row[i];
        out[j] = sum;
    }
}

void sum_rows_scalar(const float* weights, const float* rows, int64_t stride, int64_t count, int64_t n,
                     float* out) {
    for (int64_t i = 0; i < n; ++i)
        out[i] = 0.0f;
    for (int64_t j = 0; j < count; ++j)
        for (int64_t i = 0; i < n; ++i)
            out[i] += weights[j] * rows[j * stride + i];
}

const VectorKernels kScalar{dot_rows_scalar, sum_rows_scalar, swiglu_row,         softmax_row,
                            rms_norm_row,    argmax_row,      KernelLevel::Scalar};

}  // namespace

const VectorKernels& vector_kernels(KernelLevel level) {
    if (level == KernelLevel::Avx512) return *avx512_vector_kernels();
    if (level == KernelLevel::Avx2) return *avx2_vector_kernels();
    return kScalar;
}

const VectorKernels& vector_kernels() {
    static const VectorKernels& best = vector_kernels(best_kernel_level());
    return best;
}

}  // namespace loom
