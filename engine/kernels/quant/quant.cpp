#include "kernels/quant/quant.h"

#include "util/error.h"

namespace loom {

// Quantized formats arrive with the GGUF work; until then they are refused with a clear message.
void dequantize_row(DType type, const std::byte*, int64_t, float*) {
    fail("tensors of type ", dtype_name(type), " cannot be read yet");
}

void quantize_row(DType type, const float*, int64_t, std::byte*) {
    fail("cannot quantize to ", dtype_name(type), " yet");
}

}  // namespace loom
