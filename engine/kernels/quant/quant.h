// Quantized block formats (Q8_0, Q4_0, ... K-quants): dequantization and quantization of whole rows,
// written from the GGUF format description. These scalar functions define the formats; SIMD kernels are
// tested against them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace loom {

// `k` must be a whole number of blocks of `type`. Throws Error for a type without a (de)quantizer.
void dequantize_row(DType type, const std::byte* row, int64_t k, float* out);
void quantize_row(DType type, const float* values, int64_t k, std::byte* out);

}  // namespace loom
