// Matrix kernels for quantized weights, one table per instruction-set level (the files
// quant_matmul_<level>.cpp). The float kernels' tables (matmul_scalar.cpp, ...) hand quantized types on
// to these. All return nullptr for types they do not multiply.
//
// The arithmetic is integer, as the formats intend: activations are quantized once per matrix product to
// Q8_0S (for the 32-element formats) or Q8_K (for K-quants), every block's dot product is computed exactly in
// integers, and only the per-block scales are applied in float. quant_matmul_scalar.cpp writes down the exact
// formula per type; the SIMD kernels compute the same integers and may only sum the scaled block results in
// a different order (and fuse multiply-adds), so they agree with it to float rounding.
#pragma once

#include "kernels/matmul.h"

namespace loom {

const MatmulKernel* scalar_quant_matmul_kernel(DType weight_type);
const MatmulKernel* avx2_quant_matmul_kernel(DType weight_type);    // uses AVX-VNNI when the CPU has it
const MatmulKernel* avx512_quant_matmul_kernel(DType weight_type);  // needs AVX-512 VNNI, else nullptr

}  // namespace loom
