// AVX-512 VNNI kernels for quantized weights: for a few inputs the kernels of simd_gemv.h (on 256-bit vectors
// with the EVEX VNNI instructions: a decode row is too short for 512 bits to pay), for many the panels of
// simd_gemm.h, 16 rows per 512-bit vector. CPUs with AVX-512 but without VNNI use the AVX2 kernels.
#include "kernels/quant/simd_tables.h"
#include "util/cpu_features.h"

namespace loom {

const MatmulKernel* avx512_quant_matmul_kernel(DType weight_type) {
    if (!cpu_features().avx512_vnni) return nullptr;
    return simd::quant_kernel<simd::Zmm16, simd::Avx512VnniDot, KernelLevel::Avx512>(weight_type);
}

}  // namespace loom
