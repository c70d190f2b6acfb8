#include "kernels/matmul.h"

#include <algorithm>
#include <numeric>

#include "kernels/quant/interleaved.h"
#include "util/cpu_features.h"
#include "util/error.h"

namespace loom {

KernelLevel best_kernel_level() {
    const CpuFeatures& cpu = cpu_features();
    return cpu.avx512 ? KernelLevel::Avx512 : cpu.avx2 ? KernelLevel::Avx2 : KernelLevel::Scalar;
}

const char* kernel_level_name(KernelLevel level) {
    switch (level) {
        case KernelLevel::Scalar:
            return "scalar";
        case KernelLevel::Avx2:
            return "AVX2";
        case KernelLevel::Avx512:
            return "AVX-512";
    }
    return "?";
}

const MatmulKernel& matmul_kernel(DType weight_type, KernelLevel level) {
    const MatmulKernel* kernel = nullptr;
    if (level == KernelLevel::Avx512) kernel = avx512_matmul_kernel(weight_type);
    if (!kernel && level >= KernelLevel::Avx2) kernel = avx2_matmul_kernel(weight_type);
    if (!kernel) kernel = scalar_matmul_kernel(weight_type);
    if (!kernel) fail("no matrix kernel multiplies weights of type ", dtype_name(weight_type));
    return *kernel;
}

int64_t chunk_row_multiple(const MatmulKernel& kernel, int64_t k) {
    if (!kernel.interleaved_rows) return kernel.row_multiple;
    return std::lcm(kernel.row_multiple, interleaved_layout(kernel.weight_type, k).row_block_rows());
}

int64_t chunk_rows(const MatmulKernel& kernel, int64_t k, int64_t rows, int64_t target_rows) {
    const int64_t multiple = chunk_row_multiple(kernel, k);
    const auto most =
        static_cast<int64_t>(kMaxChunkBytes / std::max<size_t>(1, row_bytes(kernel.weight_type, k)));
    const int64_t target = std::min(target_rows, most);
    return std::min(rows, std::max(multiple, target / multiple * multiple));
}

const MatmulKernel& matmul_kernel(DType weight_type) {
    return matmul_kernel(weight_type, best_kernel_level());
}

}  // namespace loom
