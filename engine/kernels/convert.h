// Conversion of rows between stored types and F32. These are the reference (scalar) definitions of what a
// stored value means; SIMD kernels are tested against them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace loom {

// Writes the k values of a row of `type` as F32 (dequantizing blocks for quantized types).
void row_to_float(DType type, const std::byte* row, int64_t k, float* out);

// Stores k F32 values as a row of `type` (rounding to nearest even for F16/BF16, quantizing blocks for
// quantized types). Throws Error for a type that cannot be produced.
void row_from_float(DType type, const float* values, int64_t k, std::byte* out);

}  // namespace loom
