// Portable reference kernels: convert a weight row to F32, then plain dot products. Slow, simple, and the
// definition every faster kernel is tested against.
#include <vector>

#include "kernels/convert.h"
#include "kernels/matmul.h"

namespace loom {

namespace {

void float_weight_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end, DType weight_type) {
    std::vector<float> weight_row(static_cast<size_t>(p.k));
    for (int64_t r = row_begin; r < row_end; ++r) {
        row_to_float(weight_type, p.weights + r * p.weight_row_bytes, p.k, weight_row.data());
        for (int64_t t = 0; t < p.n; ++t) {
            const float* x = reinterpret_cast<const float*>(p.inputs + t * p.input_row_bytes);
            float sum = 0.0f;
            for (int64_t i = 0; i < p.k; ++i)
                sum += weight_row[static_cast<size_t>(i)] * x[i];
            p.outputs[t * p.output_stride + r] = sum;
        }
    }
}

template <DType Type>
void rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    float_weight_rows(p, row_begin, row_end, Type);
}

const MatmulKernel kF32{DType::F32, DType::F32, nullptr, rows<DType::F32>, 1, KernelLevel::Scalar};
const MatmulKernel kF16{DType::F16, DType::F32, nullptr, rows<DType::F16>, 1, KernelLevel::Scalar};
const MatmulKernel kBF16{DType::BF16, DType::F32, nullptr, rows<DType::BF16>, 1, KernelLevel::Scalar};

}  // namespace

const MatmulKernel* scalar_matmul_kernel(DType weight_type) {
    switch (weight_type) {
        case DType::F32:
            return &kF32;
        case DType::F16:
            return &kF16;
        case DType::BF16:
            return &kBF16;
        default:
            return nullptr;
    }
}

}  // namespace loom
