#include "gpu_test_support.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "kernels/convert.h"
#include "util/error.h"
#include "util/half.h"

namespace loom::test {

namespace {

constexpr int64_t kBlock = 32;  // values per Q8_0 / Q4_0 block

void quantize_q8_0(const float* x, std::byte* out) {
    float amax = 0;
    for (int i = 0; i < kBlock; ++i)
        amax = std::max(amax, std::fabs(x[i]));
    uint16_t d16 = float_to_fp16(amax / 127.0f);
    float d = fp16_to_float(d16);
    std::memcpy(out, &d16, 2);
    for (int i = 0; i < kBlock; ++i) {
        long q = d > 0 ? std::lround(x[i] / d) : 0;
        out[2 + i] = static_cast<std::byte>(static_cast<int8_t>(std::clamp(q, -127L, 127L)));
    }
}

void quantize_q4_0(const float* x, std::byte* out) {
    float amax = 0;
    for (int i = 0; i < kBlock; ++i)
        amax = std::max(amax, std::fabs(x[i]));
    uint16_t d16 = float_to_fp16(amax / 7.0f);
    float d = fp16_to_float(d16);
    std::memcpy(out, &d16, 2);
    auto level = [&](float v) {
        return static_cast<uint8_t>(std::clamp(d > 0 ? std::lround(v / d) + 8 : 8, 0L, 15L));
    };
    for (int i = 0; i < 16; ++i)
        out[2 + i] = static_cast<std::byte>(level(x[i]) | (level(x[i + 16]) << 4));
}

// Dequantization as the GGUF format description defines it.
void dequantize_block(DType type, const std::byte* block, float* out) {
    uint16_t d16;
    std::memcpy(&d16, block, 2);
    float d = fp16_to_float(d16);
    for (int i = 0; i < kBlock; ++i) {
        if (type == DType::Q8_0) {
            out[i] = d * static_cast<float>(static_cast<int8_t>(block[2 + i]));
        } else {
            auto packed = static_cast<uint8_t>(block[2 + i % 16]);
            int q = i < 16 ? packed & 15 : packed >> 4;
            out[i] = d * static_cast<float>(q - 8);
        }
    }
}

}  // namespace

std::vector<GpuUnderTest> gpu_configurations(uint64_t small_binding_bytes) {
    std::vector<GpuUnderTest> configurations;
    configurations.push_back({"default", make_vulkan_backend({})});
    VulkanOptions portable;
    portable.use_subgroups = false;
    portable.use_float64 = false;
    configurations.push_back({"shared-memory reductions, float angles", make_vulkan_backend(portable)});
    VulkanOptions small;
    small.max_binding_bytes = small_binding_bytes;
    configurations.push_back({"small bindings", make_vulkan_backend(small)});
    return configurations;
}

std::vector<float> random_values(size_t count, unsigned seed, float scale) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<float> uniform(-scale, scale);
    std::vector<float> values(count);
    for (float& v : values)
        v = uniform(random);
    return values;
}

std::vector<std::byte> encode(DType type, std::span<const float> values, int64_t rows, int64_t cols) {
    const size_t row = row_bytes(type, cols);
    std::vector<std::byte> bytes(row * static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const float* src = values.data() + r * cols;
        std::byte* dst = bytes.data() + static_cast<size_t>(r) * row;
        if (type == DType::Q8_0 || type == DType::Q4_0) {
            const size_t block_bytes = dtype_info(type).block_bytes;
            for (int64_t b = 0; b < cols / kBlock; ++b)
                (type == DType::Q8_0 ? quantize_q8_0 : quantize_q4_0)(src + b * kBlock,
                                                                      dst + b * block_bytes);
        } else {
            row_from_float(type, src, cols, dst);
        }
    }
    return bytes;
}

std::vector<float> decode(DType type, std::span<const std::byte> bytes, int64_t rows, int64_t cols) {
    const size_t row = row_bytes(type, cols);
    std::vector<float> values(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const std::byte* src = bytes.data() + static_cast<size_t>(r) * row;
        float* dst = values.data() + r * cols;
        if (type == DType::Q8_0 || type == DType::Q4_0) {
            const size_t block_bytes = dtype_info(type).block_bytes;
            for (int64_t b = 0; b < cols / kBlock; ++b)
                dequantize_block(type, src + b * block_bytes, dst + b * kBlock);
        } else {
            row_to_float(type, src, cols, dst);
        }
    }
    return values;
}

Tensor upload_bytes(Backend& backend, DType type, int64_t rows, int64_t cols,
                    std::span<const std::byte> bytes) {
    // The CPU backend uses host bytes in place, and its in-place operations would change the caller's
    // inputs: give every tensor its own copy.
    auto copy = std::make_shared<std::vector<std::byte>>(bytes.begin(), bytes.end());
    HostTensor host{type, rows, cols, std::span<const std::byte>(*copy), copy};
    return backend.upload(host);
}

Tensor upload_f32(Backend& backend, int64_t rows, int64_t cols, std::span<const float> values) {
    return upload_bytes(backend, DType::F32, rows, cols, std::as_bytes(values));
}

std::vector<float> read_all(Backend& backend, const Tensor& tensor) {
    std::vector<float> values(static_cast<size_t>(tensor.elements()));
    backend.read(tensor, values);
    return values;
}

double relative_error(std::span<const float> got, std::span<const float> want) {
    if (got.size() != want.size()) return INFINITY;
    double difference = 0, norm = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        double d = static_cast<double>(got[i]) - want[i];
        if (std::isnan(d)) return INFINITY;
        difference += d * d;
        norm += static_cast<double>(want[i]) * want[i];
    }
    return norm > 0 ? std::sqrt(difference / norm) : std::sqrt(difference);
}

}  // namespace loom::test
