// AVX2 kernels for quantized weights: for a few inputs the kernels of simd_gemv.h, for many the panels of
// simd_gemm.h with 8 rows per vector; dot products through maddubs. On CPUs with AVX-VNNI the variant built
// from the same templates in quant_matmul_avxvnni.cpp is used instead.
#include "kernels/quant/simd_tables.h"
#include "util/cpu_features.h"

namespace loom {

const MatmulKernel* avxvnni_quant_matmul_kernel(DType weight_type);  // nullptr when not compiled in

const MatmulKernel* avx2_quant_matmul_kernel(DType weight_type) {
    if (cpu_features().avx_vnni)
        if (const MatmulKernel* vnni = avxvnni_quant_matmul_kernel(weight_type)) return vnni;
    return simd::quant_kernel<simd::Ymm8<simd::Avx2Dot>, simd::Avx2Dot, KernelLevel::Avx2>(weight_type);
}

}  // namespace loom
