#include "gpu_test_support.h"

#include <cmath>
#include <random>

#include <QtGlobal>

#include "kernels/convert.h"

namespace loom::test {

ScopedEnv::ScopedEnv(const char* name, const char* value)
    : name_(name), had_(qEnvironmentVariableIsSet(name)), old_(qgetenv(name)) {
    if (value)
        qputenv(name, value);
    else
        qunsetenv(name);
}

ScopedEnv::~ScopedEnv() {
    if (had_)
        qputenv(name_, old_);
    else
        qunsetenv(name_);
}

std::vector<GpuUnderTest> gpu_configurations(uint64_t small_binding_bytes) {
    std::vector<GpuUnderTest> configurations;
    configurations.push_back({"default", make_vulkan_backend({})});
    VulkanOptions portable;
    portable.use_subgroups = false;
    portable.use_float64 = false;
    configurations.push_back({"shared-memory reductions, float angles", make_vulkan_backend(portable)});
    VulkanOptions small;
    small.max_binding_bytes = small_binding_bytes;
    small.cpu_device_layouts = false;  // the kernel layouts a GPU gets
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
    for (int64_t r = 0; r < rows; ++r)
        row_from_float(type, values.data() + r * cols, cols, bytes.data() + static_cast<size_t>(r) * row);
    return bytes;
}

std::vector<float> decode(DType type, std::span<const std::byte> bytes, int64_t rows, int64_t cols) {
    const size_t row = row_bytes(type, cols);
    std::vector<float> values(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        row_to_float(type, bytes.data() + static_cast<size_t>(r) * row, cols, values.data() + r * cols);
    return values;
}

Tensor upload_bytes(Backend& backend, DType type, int64_t rows, int64_t cols,
                    std::span<const std::byte> bytes) {
    return backend.upload(HostTensor{type, rows, cols, bytes});
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
