#include "kernels/vector.h"

#include "kernels/ops.h"

namespace loom {

namespace {

float dot_scalar(const float* a, const float* b, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i)
        sum += a[i] * b[i];
    return sum;
}

void axpy_scalar(float a, const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        y[i] += a * x[i];
}

const VectorKernels kScalar{dot_scalar, axpy_scalar, swiglu_row, softmax_row, KernelLevel::Scalar};

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
