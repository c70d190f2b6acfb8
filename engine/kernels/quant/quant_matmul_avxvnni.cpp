// The AVX2-level quantized kernels with AVX-VNNI dot products (VEX-encoded VPDPBUSD / VPDPWSSD), for CPUs
// that have AVX-VNNI without AVX-512. Built only when the compiler knows -mavxvnni; picked at run time by
// quant_matmul_avx2.cpp.
#include "kernels/matmul.h"

#if defined(__AVXVNNI__)
#include "kernels/quant/simd_tables.h"
#endif

namespace loom {

#if defined(__AVXVNNI__)

const MatmulKernel* avxvnni_quant_matmul_kernel(DType weight_type) {
    return simd::quant_kernel<simd::Ymm8<simd::AvxVnniDot>, simd::AvxVnniDot, KernelLevel::Avx2>(weight_type);
}
#else
const MatmulKernel* avxvnni_quant_matmul_kernel(DType) {
    return nullptr;
}
#endif

}  // namespace loom
