// The class behind make_vulkan_backend(). Setup, memory and transfers are in vulkan_backend.cpp, the
// operations in vulkan_ops.cpp.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

#include "gpu/buffers.h"
#include "gpu/commands.h"
#include "gpu/device.h"
#include "gpu/device_memory.h"
#include "gpu/instance.h"
#include "gpu/pipelines.h"
#include "gpu/vulkan_backend.h"

namespace loom::gpu {

class VulkanBackend final : public Backend {
  public:
    explicit VulkanBackend(const VulkanOptions& options);
    ~VulkanBackend() override;

    std::string name() const override;
    void check_model_fits(const ModelFootprint& footprint) override;
    double measure_memory_bandwidth() override;  // buffer-to-buffer copies in device memory

    Tensor upload(const HostTensor& host) override;
    Tensor allocate(DType dtype, int64_t rows, int64_t cols) override;
    void read(const Tensor& tensor, std::span<float> out) override;
    void write(const Tensor& tensor, std::span<const float> values) override;
    void copy_rows(const Tensor& src, const Tensor& dst, int64_t dst_row) override;

    void embed(const Tensor& table, std::span<const int32_t> tokens, const Tensor& out) override;
    void matmul(const Tensor& x, const Tensor& w, const Tensor& y) override;
    void matmul_bias(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) override;
    void add_bias(const Tensor& y, const Tensor& bias) override;
    void add(const Tensor& y, const Tensor& x) override;
    void rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& y) override;
    void add_rms_norm(const Tensor& x, const Tensor& delta, const Tensor& weight, float eps,
                      const Tensor& y) override;
    void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                    const Tensor& y) override;
    void rope(const Tensor& x, const RopeOptions& options) override;
    void swiglu(const Tensor& gate, const Tensor& up, const Tensor& out) override;
    void attention(const AttentionOptions& options) override;

    const Device& device() const { return *device_; }
    const PipelineCache& pipelines() const { return *pipelines_; }

  private:
    // Rows of a tensor as a descriptor range. Descriptors start on the device's binding alignment, so the
    // range may begin before the rows: `offset` is their distance from its start in bytes (kernels take
    // it in their elements: offset / 4 for F32 tensors).
    struct Bound {
        BufferRange range;
        uint32_t offset = 0;
        uint32_t floats() const { return offset / 4; }
    };
    const TensorBuffer& storage(const Tensor& tensor) const;
    Bound bind_rows(const Tensor& tensor, int64_t first, int64_t count) const;
    Bound bind(const Tensor& tensor) const { return bind_rows(tensor, 0, tensor.rows); }
    // The exact bytes of rows [first, first + count), for copies.
    BufferRange byte_range(const Tensor& tensor, int64_t first, int64_t count) const;
    // How many rows of `row_bytes` bytes one descriptor can bind.
    int64_t rows_per_binding(size_t row_bytes) const;
    // Calls fn(first, count) over consecutive row ranges covering `rows`, each small enough that the
    // same rows of tensors with these row sizes fit one binding each.
    template <class Fn>
    void for_row_chunks(int64_t rows, std::initializer_list<size_t> row_bytes, Fn&& fn) const {
        int64_t chunk = std::max<int64_t>(rows, 1);
        for (size_t bytes : row_bytes)
            chunk = std::min(chunk, rows_per_binding(bytes));
        for (int64_t first = 0; first < rows; first += chunk)
            fn(first, std::min(chunk, rows - first));
    }

    // The pipeline of `kernel`, in its subgroup variant ("<kernel>_sg") when the device has subgroups.
    const Pipeline& reducing_pipeline(std::string_view kernel);
    // The variant of `kernel` for weights of `type` ("matvec_q8_0"); throws Error if there is none.
    std::string weight_kernel(std::string_view kernel, DType type) const;

    std::shared_ptr<Instance> instance_;
    std::shared_ptr<Device> device_;
    std::shared_ptr<DeviceMemory> memory_;
    std::unique_ptr<PipelineCache> pipelines_;
    std::unique_ptr<CommandStream> stream_;
    DeviceAllocation readback_;       // host-visible memory read() copies through
    std::vector<std::byte> scratch_;  // write(): values converted to the tensor's type
};

}  // namespace loom::gpu
