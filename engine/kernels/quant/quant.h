// Quantized block formats (Q8_0, Q4_0, ... K-quants, and the activation formats Q8_0S and Q8_K):
// dequantization and quantization of whole rows. These scalar functions define the formats (layouts in
// tensor/quant_blocks.h); SIMD kernels are tested against them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace loom {

// `k` must be a whole number of blocks of `type`. Throws Error for a type that is not quantized or for a
// `k` that does not fit.
void dequantize_row(DType type, const std::byte* row, int64_t k, float* out);
void quantize_row(DType type, const float* values, int64_t k, std::byte* out);

}  // namespace loom
