// The element types a tensor can hold. Quantized types store fixed-size blocks of elements; a row of a
// matrix is always a whole number of blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace loom {

enum class DType : uint8_t {
    F32,
    F16,
    BF16,
    Q8_0,  // 32 weights: fp16 scale + 32 int8
    Q4_0,  // 32 weights: fp16 scale + 32 4-bit, offset 8
    Q4_1,  // 32 weights: fp16 scale and minimum + 32 4-bit
    Q5_0,
    Q5_1,
    Q2_K,  // "K-quants": 256-weight super-blocks with quantized sub-block scales
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    Q8_K,  // only for activations multiplied with K-quant weights
};

struct DTypeInfo {
    std::string_view name;   // as GGUF tools print it: "F32", "Q4_K"...
    int64_t block_elements;  // 1 for plain floats
    size_t block_bytes;
    bool quantized;
};

const DTypeInfo& dtype_info(DType type);
inline std::string_view dtype_name(DType type) {
    return dtype_info(type).name;
}
std::optional<DType> dtype_from_name(std::string_view name);  // case-insensitive: "q8_0", "bf16"

// Bytes of a row of `elements` elements. `elements` must be a multiple of the block size.
size_t row_bytes(DType type, int64_t elements);
inline bool row_fits_blocks(DType type, int64_t elements) {
    return elements % dtype_info(type).block_elements == 0;
}

}  // namespace loom
