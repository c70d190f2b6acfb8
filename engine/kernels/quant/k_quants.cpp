// The K-quant super-block formats Q2_K .. Q6_K and the activation format Q8_K.
//
// Quantizing a super-block happens in three steps:
//  1. each sub-block gets its best scale (and minimum) by the least-squares search of scale_search.h;
//  2. those sub-block scales are themselves quantized (to 4, 6 or 8 bits) relative to one fp16 super-block
//     scale, as the format stores them;
//  3. every value is rounded again with the scale it will actually decode with, so the stored codes are the
//     nearest ones for the stored scales.
#include <algorithm>
#include <cmath>

#include "kernels/quant/quant_codes.h"
#include "kernels/quant/quant_formats.h"
#include "kernels/quant/scale_search.h"
#include "util/half.h"

namespace loom::quant {

namespace {

constexpr int kN = kSuperBlock;

// An fp16 super-block scale chosen as `value / levels`, and the float it decodes to.
struct SuperScale {
    uint16_t bits = 0;
    float value = 0.0f;
};

SuperScale super_scale(float largest, int levels) {
    SuperScale s;
    s.bits = float_to_fp16(largest / static_cast<float>(levels));
    s.value = fp16_to_float(s.bits);
    if (!std::isfinite(s.value)) s = {};
    return s;
}

// Nearest code of `x` for a decoded sub-block scale and minimum: x ~ scale * q - min.
uint8_t code_for(float x, float scale, float min, int qmax) {
    if (scale == 0.0f) return 0;
    return static_cast<uint8_t>(round_clamped((x + min) / scale, 0.0f, static_cast<float>(qmax)));
}

// Steps 1 and 2 for the "scale and minimum" formats: fits every sub-block, then quantizes the sub-block
// scales and minimums to `scale_levels` steps of two fp16 super-scales.
struct ScaleMinBlock {
    SuperScale d, dmin;
    int scales[16];
    int mins[16];
};

ScaleMinBlock fit_scale_min_block(const float* x, int sub_blocks, int qmax, int scale_levels) {
    const int size = kN / sub_blocks;
    float weights[kN];
    importance_weights(x, kN, weights);
    ScaleMinFit fits[16];
    uint8_t codes[32];
    float largest_scale = 0.0f, largest_min = 0.0f;
    for (int j = 0; j < sub_blocks; ++j) {
        fits[j] = fit_scale_min(x + j * size, weights + j * size, size, qmax, codes);
        largest_scale = std::max(largest_scale, fits[j].scale);
        largest_min = std::max(largest_min, fits[j].min);
    }
    ScaleMinBlock block;
    block.d = super_scale(largest_scale, scale_levels);
    block.dmin = super_scale(largest_min, scale_levels);
    const float top = static_cast<float>(scale_levels);
    for (int j = 0; j < sub_blocks; ++j) {
        block.scales[j] = block.d.value > 0.0f ? round_clamped(fits[j].scale / block.d.value, 0.0f, top) : 0;
        block.mins[j] =
            block.dmin.value > 0.0f ? round_clamped(fits[j].min / block.dmin.value, 0.0f, top) : 0;
    }
    return block;
}

// Steps 1 and 2 for the signed-scale formats: sub-block scales (which may be negative) are quantized to
// codes -scale_neg .. scale_neg - 1 of one fp16 super-scale, the largest in magnitude mapping to -scale_neg.
struct SignedScaleBlock {
    SuperScale d;
    int scales[16];
};

SignedScaleBlock fit_signed_block(const float* x, int code_neg, int scale_neg) {
    constexpr int kSub = 16, kSize = kN / kSub;
    float weights[kN];
    importance_weights(x, kN, weights);
    float fitted[kSub];
    int8_t codes[kSize];
    float extreme = 0.0f;
    for (int j = 0; j < kSub; ++j) {
        fitted[j] = fit_scale_signed(x + j * kSize, weights + j * kSize, kSize, code_neg, codes);
        if (std::fabs(fitted[j]) > std::fabs(extreme)) extreme = fitted[j];
    }
    SignedScaleBlock block;
    block.d = super_scale(extreme, -scale_neg);
    const float low = static_cast<float>(-scale_neg), high = static_cast<float>(scale_neg - 1);
    for (int j = 0; j < kSub; ++j)
        block.scales[j] = block.d.value != 0.0f ? round_clamped(fitted[j] / block.d.value, low, high) : 0;
    return block;
}

// Step 3 for signed formats: codes offset by `code_neg` (stored as code + code_neg).
void signed_codes(const float* x, const SignedScaleBlock& block, int code_neg, uint8_t q[kN]) {
    const float low = static_cast<float>(-code_neg), high = static_cast<float>(code_neg - 1);
    for (int e = 0; e < kN; ++e) {
        float scale = block.d.value * static_cast<float>(block.scales[e / 16]);
        int code = scale != 0.0f ? round_clamped(x[e] / scale, low, high) : 0;
        q[e] = static_cast<uint8_t>(code + code_neg);
    }
}

// Step 3 for scale-and-minimum formats with `size`-element sub-blocks.
void scale_min_codes(const float* x, const ScaleMinBlock& block, int size, int qmax, uint8_t q[kN]) {
    for (int e = 0; e < kN; ++e) {
        int j = e / size;
        float scale = block.d.value * static_cast<float>(block.scales[j]);
        float min = block.dmin.value * static_cast<float>(block.mins[j]);
        q[e] = code_for(x[e], scale, min, qmax);
    }
}

}  // namespace

// ---- dequantization: the formulas of tensor/quant_blocks.h ---------------------------------------------

void dequantize_q2_k(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ2_K block = read_block<BlockQ2_K>(row, b);
        unpack_q2_k(block, q);
        float d = fp16_to_float(block.d), dmin = fp16_to_float(block.dmin);
        for (int e = 0; e < kN; ++e) {
            uint8_t sm = block.scales[e / 16];
            out[e] = (d * static_cast<float>(sm & 15)) * static_cast<float>(q[e]) -
                     dmin * static_cast<float>(sm >> 4);
        }
    }
}

void dequantize_q3_k(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ3_K block = read_block<BlockQ3_K>(row, b);
        unpack_q3_k(block, q);
        float d = fp16_to_float(block.d);
        for (int e = 0; e < kN; ++e)
            out[e] =
                (d * static_cast<float>(q3_k_scale(block.scales, e / 16))) * static_cast<float>(q[e] - 4);
    }
}

void dequantize_q4_k(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ4_K block = read_block<BlockQ4_K>(row, b);
        unpack_k_nibbles(block.qs, q);
        float d = fp16_to_float(block.d), dmin = fp16_to_float(block.dmin);
        for (int e = 0; e < kN; ++e) {
            ScaleMinCodes sm = k_scale_min(block.scales, e / 32);
            out[e] = (d * static_cast<float>(sm.scale)) * static_cast<float>(q[e]) -
                     dmin * static_cast<float>(sm.min);
        }
    }
}

void dequantize_q5_k(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ5_K block = read_block<BlockQ5_K>(row, b);
        unpack_q5_k(block, q);
        float d = fp16_to_float(block.d), dmin = fp16_to_float(block.dmin);
        for (int e = 0; e < kN; ++e) {
            ScaleMinCodes sm = k_scale_min(block.scales, e / 32);
            out[e] = (d * static_cast<float>(sm.scale)) * static_cast<float>(q[e]) -
                     dmin * static_cast<float>(sm.min);
        }
    }
}

void dequantize_q6_k(const std::byte* row, int64_t blocks, float* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        BlockQ6_K block = read_block<BlockQ6_K>(row, b);
        unpack_q6_k(block, q);
        float d = fp16_to_float(block.d);
        for (int e = 0; e < kN; ++e)
            out[e] = (d * static_cast<float>(block.scales[e / 16])) * static_cast<float>(q[e] - 32);
    }
}

void dequantize_q8_k(const std::byte* row, int64_t blocks, float* out) {
    for (int64_t b = 0; b < blocks; ++b, out += kN) {
        const std::byte* block = row + b * static_cast<int64_t>(sizeof(BlockQ8_K));
        float d;
        std::memcpy(&d, block + offsetof(BlockQ8_K, d), sizeof d);
        const auto* qs = reinterpret_cast<const int8_t*>(block + offsetof(BlockQ8_K, qs));
        for (int e = 0; e < kN; ++e)
            out[e] = d * static_cast<float>(qs[e]);
    }
}

// ---- quantization --------------------------------------------------------------------------------------

void quantize_q2_k(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        ScaleMinBlock fit = fit_scale_min_block(x, 16, 3, 15);
        BlockQ2_K block;
        block.d = fit.d.bits;
        block.dmin = fit.dmin.bits;
        for (int j = 0; j < 16; ++j)
            block.scales[j] = static_cast<uint8_t>(fit.scales[j] | (fit.mins[j] << 4));
        scale_min_codes(x, fit, 16, 3, q);
        pack_two_bit_codes(q, block.qs);
        write_block(out, b, block);
    }
}

void quantize_q3_k(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        SignedScaleBlock fit = fit_signed_block(x, 4, 32);
        BlockQ3_K block{};
        block.d = fit.d.bits;
        for (int j = 0; j < 16; ++j)
            set_q3_k_scale(block.scales, j, fit.scales[j]);
        signed_codes(x, fit, 4, q);
        pack_q3_k(q, block);
        write_block(out, b, block);
    }
}

namespace {

template <class Block>
Block quantize_q45_k(const float* x, int qmax, uint8_t q[kN]) {
    ScaleMinBlock fit = fit_scale_min_block(x, 8, qmax, 63);
    Block block;
    block.d = fit.d.bits;
    block.dmin = fit.dmin.bits;
    ScaleMinCodes codes[8];
    for (int j = 0; j < 8; ++j)
        codes[j] = {fit.scales[j], fit.mins[j]};
    pack_k_scale_min(codes, block.scales);
    scale_min_codes(x, fit, 32, qmax, q);
    return block;
}

}  // namespace

void quantize_q4_k(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        BlockQ4_K block = quantize_q45_k<BlockQ4_K>(x, 15, q);
        pack_k_nibbles(q, block.qs);
        write_block(out, b, block);
    }
}

void quantize_q5_k(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        BlockQ5_K block = quantize_q45_k<BlockQ5_K>(x, 31, q);
        pack_q5_k(q, block);
        write_block(out, b, block);
    }
}

void quantize_q6_k(const float* x, int64_t blocks, std::byte* out) {
    uint8_t q[kN];
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        SignedScaleBlock fit = fit_signed_block(x, 32, 128);
        BlockQ6_K block;
        block.d = fit.d.bits;
        for (int j = 0; j < 16; ++j)
            block.scales[j] = static_cast<int8_t>(fit.scales[j]);
        signed_codes(x, fit, 32, q);
        pack_q6_k(q, block);
        write_block(out, b, block);
    }
}

// Activations: d = amax / 127 as a float, codes -127..127, and the sums of each 16 codes.
void quantize_q8_k(const float* x, int64_t blocks, std::byte* out) {
    for (int64_t b = 0; b < blocks; ++b, x += kN) {
        float amax = 0.0f;
        for (int e = 0; e < kN; ++e)
            amax = std::max(amax, std::fabs(x[e]));
        BlockQ8_K block;
        float inverse = amax > 0.0f && std::isfinite(amax) ? 127.0f / amax : 0.0f;
        block.d = amax > 0.0f && std::isfinite(amax) ? amax / 127.0f : 0.0f;
        for (int e = 0; e < kN; ++e)
            block.qs[e] = static_cast<int8_t>(round_clamped(x[e] * inverse, -127.0f, 127.0f));
        for (int j = 0; j < 16; ++j) {
            int sum = 0;
            for (int i = 0; i < 16; ++i)
                sum += block.qs[16 * j + i];
            block.bsums[j] = static_cast<int16_t>(sum);
        }
        write_block(out, b, block);
    }
}

}  // namespace loom::quant
