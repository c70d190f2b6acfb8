#include "kernels/quant/quant.h"

#include "kernels/quant/quant_formats.h"
#include "util/error.h"

namespace loom {

namespace {

struct Format {
    quant::DequantizeFn dequantize;
    quant::QuantizeFn quantize;
};

const Format* format(DType type) {
    using namespace quant;
    static const Format kQ8_0{dequantize_q8_0, quantize_q8_0}, kQ4_0{dequantize_q4_0, quantize_q4_0},
        kQ4_1{dequantize_q4_1, quantize_q4_1}, kQ5_0{dequantize_q5_0, quantize_q5_0},
        kQ5_1{dequantize_q5_1, quantize_q5_1}, kQ8_0S{dequantize_q8_0s, quantize_q8_0s},
        kQ2_K{dequantize_q2_k, quantize_q2_k}, kQ3_K{dequantize_q3_k, quantize_q3_k},
        kQ4_K{dequantize_q4_k, quantize_q4_k}, kQ5_K{dequantize_q5_k, quantize_q5_k},
        kQ6_K{dequantize_q6_k, quantize_q6_k}, kQ8_K{dequantize_q8_k, quantize_q8_k};
    switch (type) {
        case DType::Q8_0:
            return &kQ8_0;
        case DType::Q4_0:
            return &kQ4_0;
        case DType::Q4_1:
            return &kQ4_1;
        case DType::Q5_0:
            return &kQ5_0;
        case DType::Q5_1:
            return &kQ5_1;
        case DType::Q8_0S:
            return &kQ8_0S;
        case DType::Q2_K:
            return &kQ2_K;
        case DType::Q3_K:
            return &kQ3_K;
        case DType::Q4_K:
            return &kQ4_K;
        case DType::Q5_K:
            return &kQ5_K;
        case DType::Q6_K:
            return &kQ6_K;
        case DType::Q8_K:
            return &kQ8_K;
        case DType::F32:
        case DType::F16:
        case DType::BF16:
            return nullptr;
    }
    return nullptr;
}

const Format& require_format(DType type, int64_t k, const char* what) {
    const Format* f = format(type);
    if (!f) fail("cannot ", what, " ", dtype_name(type), ": it is not a quantized type");
    int64_t block = dtype_info(type).block_elements;
    if (k < 0 || k % block != 0)
        fail("cannot ", what, " a row of ", k, " values as ", dtype_name(type),
             ": rows must be whole blocks of ", block, " values");
    return *f;
}

}  // namespace

void dequantize_row(DType type, const std::byte* row, int64_t k, float* out) {
    require_format(type, k, "dequantize").dequantize(row, k / dtype_info(type).block_elements, out);
}

void quantize_row(DType type, const float* values, int64_t k, std::byte* out) {
    require_format(type, k, "quantize to").quantize(values, k / dtype_info(type).block_elements, out);
}

}  // namespace loom
