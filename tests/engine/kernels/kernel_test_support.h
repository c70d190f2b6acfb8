// Helpers shared by the kernel tests: the instruction-set levels this CPU can run, and random data.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernel_level.h"
#include "tensor/dtype.h"

namespace loom::test {

// Every level up to the best this CPU supports (LOOM_CPU lowers it), scalar first.
inline std::vector<KernelLevel> supported_levels() {
    std::vector<KernelLevel> levels{KernelLevel::Scalar};
    if (best_kernel_level() >= KernelLevel::Avx2) levels.push_back(KernelLevel::Avx2);
    if (best_kernel_level() >= KernelLevel::Avx512) levels.push_back(KernelLevel::Avx512);
    return levels;
}

// Values from N(0, 1), with a few much larger ones: activations of real models have such outliers.
inline std::vector<float> random_values(size_t n, std::mt19937& rng, float scale = 1.0f) {
    std::normal_distribution<float> gauss(0.0f, scale);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v)
        x = gauss(rng) * (uniform(rng) < 0.02f ? 10.0f : 1.0f);
    return v;
}

// Byte offsets of the fp16 fields of a quantized block (scales and minimums).
inline std::vector<int> half_fields(DType type) {
    switch (type) {
        case DType::Q8_0:
        case DType::Q4_0:
        case DType::Q5_0:
            return {0};
        case DType::Q4_1:
        case DType::Q5_1:
        case DType::Q4_K:
        case DType::Q5_K:
            return {0, 2};
        case DType::Q2_K:
            return {80, 82};
        case DType::Q3_K:
            return {108};
        case DType::Q6_K:
            return {208};
        default:
            return {};
    }
}

// Blocks of random bits, except that scales are finite (fp16 exponents 1..24, a zero scale in every fifth
// block; the float scales of Q8_K and Q8_0S a modest power of two times a small integer). Random codes reach
// corners that quantizers rarely produce (Q8_0 code -128, Q6_K scale -128...).
inline std::vector<uint8_t> random_blocks(DType type, int64_t blocks, std::mt19937& rng) {
    const size_t bytes = dtype_info(type).block_bytes;
    std::vector<uint8_t> data(bytes * static_cast<size_t>(blocks));
    std::uniform_int_distribution<int> byte(0, 255), exponent(1, 24);
    for (auto& v : data)
        v = static_cast<uint8_t>(byte(rng));
    for (int64_t b = 0; b < blocks; ++b) {
        uint8_t* block = data.data() + bytes * static_cast<size_t>(b);
        for (int offset : half_fields(type)) {
            uint16_t h = static_cast<uint16_t>((byte(rng) & 0x80) << 8 | exponent(rng) << 10 |
                                               (byte(rng) * 4 & 0x3ff));
            if (b % 5 == 4) h = 0;
            block[offset] = static_cast<uint8_t>(h);
            block[offset + 1] = static_cast<uint8_t>(h >> 8);
        }
        if (type == DType::Q8_K || type == DType::Q8_0S) {
            float d = std::ldexp(static_cast<float>(byte(rng) + 1), -byte(rng) / 16);
            std::memcpy(block, &d, 4);
        }
    }
    return data;
}

}  // namespace loom::test
