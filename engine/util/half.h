// Conversions between float and the two 16-bit float formats found in model files.
// Portable scalar code; kernels use the CPU's conversion instructions where they have them.
#pragma once

#include <cstdint>
#include <cstring>

namespace loom {

inline uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// bfloat16 is the top half of an IEEE float.
inline float bf16_to_float(uint16_t h) {
    return bits_float(static_cast<uint32_t>(h) << 16);
}

// Round to nearest even, keeping NaNs NaN.
inline uint16_t float_to_bf16(float f) {
    uint32_t u = float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

// IEEE half precision: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
inline float fp16_to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0) {
        if (mantissa == 0) return bits_float(sign);
        // Subnormal: value = mantissa * 2^-24.
        float value = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
        return sign ? -value : value;
    }
    if (exponent == 31) return bits_float(sign | 0x7f800000u | (mantissa << 13));
    return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// Round to nearest even; overflow gives infinity, NaN stays NaN.
inline uint16_t float_to_fp16(float f) {
    uint32_t u = float_bits(f);
    uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
    uint32_t abs = u & 0x7fffffffu;
    if (abs > 0x7f800000u) return sign | 0x7e00u;   // NaN
    if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: infinity
    if (abs < 0x38800000u) {                        // below the smallest normal half: subnormal or zero
        // value * 2^24 rounded to an integer, half-to-even, done by adding a magic float.
        float magnitude = bits_float(abs) + 0.5f;  // 0.5 = 2^-1 puts 2^-24 at the last mantissa bit
        return sign | static_cast<uint16_t>(float_bits(magnitude) - 0x3f000000u);
    }
    uint32_t mantissa_odd = (abs >> 13) & 1u;
    abs += 0xc8000fffu + mantissa_odd;  // rebias exponent (-112 << 23) and round
    return sign | static_cast<uint16_t>(abs >> 13);
}

}  // namespace loom
