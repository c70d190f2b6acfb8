// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the activation block Q8_0S: 32 elements with an fp16 scale.
#include <algorithm>
#include <cmath>

#include "kernels/quant/quant_codes.h"
#include "kernels/quant/quant_formats.h"
#include "kernels/quant/scale_search.h"
#include "util/half.h"

namespace loom::quant {

namespace {

constexpr int kN = kLegacyBlock;

// The scale `d` as stored (fp16) and the reciprocal used to compute codes. Codes are computed with the
// rounded scale, so that they are the nearest codes for what the block will actually decode to.
struct StoredScale {
    uint16_t bits;
    float inverse;
};

StoredScale store_scale(float d) {
    uint16_t bits = float_to_fp16(d);
    float rounded = fp16_to_float(bits);
    return {bits, rounded != 0.0f && std::isfinite(rounded) ? 1.0f / rounded : 0.0f};
}

float largest_magnitude(const float* x) {
    float amax = 0.0f;
    for (int i = 0; i < kN; ++i)
        amax = std::max(amax, std::fabs(x[i]));
    return amax;
}

// The signed value of largest magnitude (the first one on ties).
float signed_extreme(const float* x) {
    float extreme = 0.0f;
    for (int i = 0; i < kN; ++i)
        if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
    return extreme;
}

// Symmetric 8-bit codes -127..127 with d = amax / 127.
uint16_t quantize_8bit(const float* x, int8_t q[kN]) {
    StoredScale scale = store_scale(largest_magnitude(x) / 127.0f);
    for (int i = 0; i < kN; ++i)
        q[i] = static_cast<int8_t>(round_clamped(x[i] * scale.inverse, -127.0f, 127.0f));
    return scale.bits;
}

// Q4_0 / Q5_0: the value of largest magnitude maps to the most negative code, -2^(bits-1), so that the whole
// asymmetric code range is used: d = extreme / -2^(bits-1), code = round(x / d) + 2^(bits-1).
uint16_t quantize_offset(const float* x, int offset, uint8_t q[kN]) {
    StoredScale scale = store_scale(signed_extreme(x) / static_cast<float>(-offset));
    float top = static_cast<float>(2 * offset - 1);
    for (int i = 0; i < kN; ++i)
        q[i] =
            static_cast<uint8_t>(round_clamped(x[i] * scale.inverse + static_cast<float>(offset), 0.0f, top));
    return scale.bits;
}

// Q4_1 / Q5_1: the block's minimum maps to code 0 and its maximum to the top code.
void quantize_min_max(const float* x, int top, uint16_t& d_bits, uint16_t& m_bits, uint8_t q[kN]) {
    float lo = *std::min_element(x, x + kN), hi = *std::max_element(x, x + kN);
    StoredScale scale = store_scale((hi - lo) / static_cast<float>(top));
    m_bits = float_to_fp16(lo);
    float min = fp16_to_float(m_bits);
    for (int i = 0; i < kN; ++i)
        q[i] =
            static_cast<uint8_t>(round_clamped((x[i] - min) * scale.inverse, 0.0f, static_cast<float>(top)));
    d_bits = scale.bits;
}

}  // namespace

void dequantize_q8_0(const std::byte* row, int64_t blocks, float* out) {
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ8_0 block = read_block<BlockQ8_0>(row, b);
        float d = fp16_to_float(block.d);
        for (int i = 0; i < kN; ++i)
            out[i] = d * static_cast<float>(block.qs[i]);
    }
}

void dequantize_q8_0s(const std::byte* row, int64_t blocks, float* out) {
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ8_0S block = read_block<BlockQ8_0S>(row, b);
        for (int i = 0; i < kN; ++i)
            out[i] = block.d * static_cast<float>(block.qs[i]);
    }
}

void dequantize_q4_0(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ4_0 block = read_block<BlockQ4_0>(row, b);
        unpack_nibbles32(block.qs, q);
        float d = fp16_to_float(block.d);
        for (int i = 0; i < kN; ++i)
            out[i] = d * static_cast<float>(q[i] - 8);
    }
}

void dequantize_q4_1(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ4_1 block = read_block<BlockQ4_1>(row, b);
        unpack_nibbles32(block.qs, q);
        float d = fp16_to_float(block.d), m = fp16_to_float(block.m);
        for (int i = 0; i < kN; ++i)
            out[i] = d * static_cast<float>(q[i]) + m;
    }
}

void dequantize_q5_0(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ5_0 block = read_block<BlockQ5_0>(row, b);
        unpack_5bit32(block.qs, block.qh, q);
        float d = fp16_to_float(block.d);
        for (int i = 0; i < kN; ++i)
            out[i] = d * static_cast<float>(q[i] - 16);
    }
}

void dequantize_q5_1(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ5_1 block = read_block<BlockQ5_1>(row, b);
        unpack_5bit32(block.qs, block.qh, q);
        float d = fp16_to_float(block.d), m = fp16_to_float(block.m);
        for (int i = 0; i < kN; ++i)
            out[i] = d * static_cast<float>(q[i]) + m;
    }
}

void quantize_q8_0(const float* x, int64_t blocks, std::byte* out) {
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        BlockQ8_0 block;
        block.d = quantize_8bit(x, block.qs);
        write_block(out, b, block);
    }
}

// Activations: d = amax / 127 kept as a float, codes -127..127 computed with its reciprocal, their sum.
void quantize_q8_0s(const float* x, int64_t blocks, std::byte* out) {
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        float amax = largest_magnitude(x);
        bool usable = amax > 0.0f && std::isfinite(amax);
        float inverse = usable ? 127.0f / amax : 0.0f;
        BlockQ8_0S block;
        block.d = usable ? amax / 127.0f : 0.0f;
        block.sum = 0;
        for (int i = 0; i < kN; ++i) {
            block.qs[i] = static_cast<int8_t>(round_clamped(x[i] * inverse, -127.0f, 127.0f));
            block.sum += block.qs[i];
        }
        block.dsum = block.d * static_cast<float>(block.sum);
        write_block(out, b, block);
    }
}

void quantize_q4_0(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        BlockQ4_0 block;
        block.d = quantize_offset(x, 8, q);
        pack_nibbles32(q, block.qs);
        write_block(out, b, block);
    }
}

void quantize_q5_0(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        BlockQ5_0 block;
        block.d = quantize_offset(x, 16, q);
        pack_5bit32(q, block.qs, block.qh);
        write_block(out, b, block);
    }
}

void quantize_q4_1(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        BlockQ4_1 block;
        quantize_min_max(x, 15, block.d, block.m, q);
        pack_nibbles32(q, block.qs);
        write_block(out, b, block);
    }
}

void quantize_q5_1(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        BlockQ5_1 block;
        quantize_min_max(x, 31, block.d, block.m, q);
        pack_5bit32(q, block.qs, block.qh);
        write_block(out, b, block);
    }
}

}  // namespace loom::quant
