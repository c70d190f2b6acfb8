// The per-format reference (de)quantizers behind kernels/quant/quant.h. Each converts `blocks` whole blocks
// of its type; layouts and formulas are documented in tensor/quant_blocks.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loom::quant {

using DequantizeFn = void (*)(const std::byte* row, int64_t blocks, float* out);
using QuantizeFn = void (*)(const float* x, int64_t blocks, std::byte* out);

// 32-element formats (legacy_quants.cpp). Their quantizers are the formats' own min/max rules: the value of
// largest magnitude (or the block's range) sets the scale.
void dequantize_q8_0(const std::byte* row, int64_t blocks, float* out);
void dequantize_q4_0(const std::byte* row, int64_t blocks, float* out);
void dequantize_q4_1(const std::byte* row, int64_t blocks, float* out);
void dequantize_q5_0(const std::byte* row, int64_t blocks, float* out);
void dequantize_q5_1(const std::byte* row, int64_t blocks, float* out);
void dequantize_q8_0s(const std::byte* row, int64_t blocks, float* out);
void quantize_q8_0(const float* x, int64_t blocks, std::byte* out);
void quantize_q4_0(const float* x, int64_t blocks, std::byte* out);
void quantize_q4_1(const float* x, int64_t blocks, std::byte* out);
void quantize_q5_0(const float* x, int64_t blocks, std::byte* out);
void quantize_q5_1(const float* x, int64_t blocks, std::byte* out);
void quantize_q8_0s(const float* x, int64_t blocks, std::byte* out);

// 256-element K-quant formats (k_quants.cpp). Their quantizers search sub-block scales (scale_search.h);
// Q8_K's is the plain activation quantizer.
void dequantize_q2_k(const std::byte* row, int64_t blocks, float* out);
void dequantize_q3_k(const std::byte* row, int64_t blocks, float* out);
void dequantize_q4_k(const std::byte* row, int64_t blocks, float* out);
void dequantize_q5_k(const std::byte* row, int64_t blocks, float* out);
void dequantize_q6_k(const std::byte* row, int64_t blocks, float* out);
void dequantize_q8_k(const std::byte* row, int64_t blocks, float* out);
void quantize_q2_k(const float* x, int64_t blocks, std::byte* out);
void quantize_q3_k(const float* x, int64_t blocks, std::byte* out);
void quantize_q4_k(const float* x, int64_t blocks, std::byte* out);
void quantize_q5_k(const float* x, int64_t blocks, std::byte* out);
void quantize_q6_k(const float* x, int64_t blocks, std::byte* out);
void quantize_q8_k(const float* x, int64_t blocks, std::byte* out);

}  // namespace loom::quant
