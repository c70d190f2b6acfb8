// Compute pipelines, one per shader variant, created on first use and kept for the backend's life.
//
// Each pipeline knows from its shader's SPIR-V how many storage buffers it binds and how large its push
// constants are; the command stream asserts both at every dispatch. All bindings are storage buffers of
// descriptor set 0, so a layout is only a binding count.
//
// The driver's compiled code is kept in a VkPipelineCache, which may be saved to a file when the backend
// goes and given back to the driver by the next run on the same device and driver (pipeline_cache_file.h).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gpu/device.h"
#include "gpu/spirv_interface.h"

namespace loom::gpu {

class Pipeline {
  public:
    Pipeline(const Device& device, VkPipelineCache cache, std::string name, std::span<const uint32_t> spirv);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    const std::string& name() const { return name_; }
    uint32_t bindings() const { return interface_.bindings; }
    uint32_t push_constant_bytes() const { return interface_.push_constant_bytes; }
    VkPipeline handle() const { return pipeline_; }
    VkPipelineLayout layout() const { return layout_; }
    VkDescriptorSetLayout set_layout() const { return set_layout_; }

  private:
    const Device& device_;
    std::string name_;
    ShaderInterface interface_;
    VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
    VkPipelineLayout layout_ = VK_NULL_HANDLE;
    VkPipeline pipeline_ = VK_NULL_HANDLE;
};

class PipelineCache {
  public:
    // `file`: the cache saved by an earlier run, and where to save this one (pipeline_cache_file()); it is
    // used when it fits the device, else ignored. Empty: the cache is kept in memory only.
    explicit PipelineCache(std::shared_ptr<Device> device, std::filesystem::path file = {});
    // Saves the cache to its file when pipelines were created, since the driver may have compiled new code.
    ~PipelineCache();
    PipelineCache(const PipelineCache&) = delete;
    PipelineCache& operator=(const PipelineCache&) = delete;

    // Whether the shader variant `name` was built into Loom.
    static bool has(std::string_view name);
    // The pipeline of shader variant `name` ("matvec_f16_sg"), created on first use. Throws Error if no
    // such variant was built: the operation is not supported on the GPU.
    const Pipeline& get(std::string_view name);

    // How many bytes of saved cache the driver was given at creation (0: it started empty), for tests and
    // diagnostics.
    size_t initial_bytes() const { return initial_bytes_; }

  private:
    // What the driver holds in the cache; empty if it cannot say or holds more than is worth saving.
    std::vector<std::byte> data() const;
    // Writes data() to file_; never throws, since the cache only saves time.
    void save() const;

    std::shared_ptr<Device> device_;
    std::filesystem::path file_;
    VkPipelineCache cache_ = VK_NULL_HANDLE;  // lets the driver reuse compiled code between pipelines
    size_t initial_bytes_ = 0;
    std::map<std::string, std::unique_ptr<Pipeline>, std::less<>> pipelines_;
};

}  // namespace loom::gpu
