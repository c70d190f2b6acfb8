// Helpers shared by the Vulkan backend's tests: backends in their test configurations, random tensors in
// every weight type (stored and read back by the engine's reference conversions), and the normalised error
// the parity tests compare with.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <QByteArray>

#include "backend/backend.h"
#include "gpu/vulkan_backend.h"

namespace loom::test {

// Sets an environment variable (or unsets it, for a null value) for the life of the object, then restores it.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value);
    ~ScopedEnv();
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    bool had_;
    QByteArray old_;
};

// A Vulkan backend configuration under test, with a label for failure messages.
struct GpuUnderTest {
    std::string label;
    std::unique_ptr<Backend> backend;
};

// The configurations every parity test runs on: the device's defaults (subgroup reductions, double
// precision RoPE angles where supported); portable shared-memory reductions and float angles; and
// bindings limited to `small_binding_bytes`, which splits even small tensors into pieces.
std::vector<GpuUnderTest> gpu_configurations(uint64_t small_binding_bytes = 32 << 10);

// Uniform values in [-scale, scale], the same for the same seed.
std::vector<float> random_values(size_t count, unsigned seed, float scale = 1.0f);

// `values` ([rows, cols]) stored as `type` by the engine's conversions (kernels/convert.h): rounding for
// F16 and BF16, the reference quantizers of kernels/quant/ for the quantized types.
std::vector<std::byte> encode(DType type, std::span<const float> values, int64_t rows, int64_t cols);
// What the stored bytes mean, as F32 (the engine's scalar dequantizers, which define the formats): the
// reference the GPU kernels are compared with.
std::vector<float> decode(DType type, std::span<const std::byte> bytes, int64_t rows, int64_t cols);

// A tensor of `type` on `backend` holding `bytes`.
Tensor upload_bytes(Backend& backend, DType type, int64_t rows, int64_t cols,
                    std::span<const std::byte> bytes);
// An F32 tensor holding `values`.
Tensor upload_f32(Backend& backend, int64_t rows, int64_t cols, std::span<const float> values);
std::vector<float> read_all(Backend& backend, const Tensor& tensor);

// |got - want| / |want| with Euclidean norms over the whole tensor (|got - want| when want is zero).
double relative_error(std::span<const float> got, std::span<const float> want);

}  // namespace loom::test
