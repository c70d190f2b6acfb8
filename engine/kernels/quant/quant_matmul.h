// Matrix kernels for quantized weights, one table per instruction-set level (the files
// quant_matmul_<level>.cpp). The float kernels' tables (matmul_scalar.cpp, ...) hand quantized types on
// to these. All return nullptr for types they do not multiply.
//
// The arithmetic is integer, as the formats intend: activations are quantized once per matrix product to
// Q8_0S (for the 32-element formats) or Q8_K (for K-quants), every block's dot product of codes is computed
// exactly in integers, and only the per-block scales are applied in float. quant_matmul_scalar.cpp writes
// down the exact formula per type. The SIMD kernels compute the same integer dot products; they may sum the
// scaled block results in a different order and fuse multiply-adds. So they agree with the reference to
// float rounding:
// a few units in the last place of the sum of |terms| (tests/engine/kernels/test_quant_matmul.cpp checks
// 2e-5 of it).
//
// Levels: scalar (everywhere), AVX2 (maddubs, or AVX-VNNI where the CPU has it), AVX-512 (needs AVX-512
// VNNI; CPUs with AVX-512 but no VNNI get the AVX2 kernels). One token is multiplied by the kernels of
// simd_gemv.h; from a few tokens on, weights are repacked into row panels (simd_gemm.h). The SIMD kernels
// take their weights as interleaved rows (interleaved.h), which the owner of the weights makes once
// (MatmulKernel::interleaved_rows); the scalar ones take the stored layout.
#pragma once

#include "kernels/matmul.h"

namespace loom {

const MatmulKernel* scalar_quant_matmul_kernel(DType weight_type);
const MatmulKernel* avx2_quant_matmul_kernel(DType weight_type);    // uses AVX-VNNI when the CPU has it
const MatmulKernel* avx512_quant_matmul_kernel(DType weight_type);  // needs AVX-512 VNNI, else nullptr

}  // namespace loom
