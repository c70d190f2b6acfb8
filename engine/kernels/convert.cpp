#include "kernels/convert.h"

#include <cstring>

#include "kernels/quant/quant.h"
#include "util/error.h"
#include "util/half.h"

namespace loom {

void row_to_float(DType type, const std::byte* row, int64_t k, float* out) {
    switch (type) {
        case DType::F32:
            std::memcpy(out, row, static_cast<size_t>(k) * sizeof(float));
            return;
        case DType::F16:
        case DType::BF16: {
            for (int64_t i = 0; i < k; ++i) {
                uint16_t bits;
                std::memcpy(&bits, row + 2 * i, 2);
                out[i] = type == DType::F16 ? fp16_to_float(bits) : bf16_to_float(bits);
            }
            return;
        }
        default:
            dequantize_row(type, row, k, out);
    }
}

void row_from_float(DType type, const float* values, int64_t k, std::byte* out) {
    switch (type) {
        case DType::F32:
            std::memcpy(out, values, static_cast<size_t>(k) * sizeof(float));
            return;
        case DType::F16:
        case DType::BF16:
            for (int64_t i = 0; i < k; ++i) {
                uint16_t bits = type == DType::F16 ? float_to_fp16(values[i]) : float_to_bf16(values[i]);
                std::memcpy(out + 2 * i, &bits, 2);
            }
            return;
        default:
            quantize_row(type, values, k, out);
    }
}

}  // namespace loom
