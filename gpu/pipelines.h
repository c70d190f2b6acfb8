// Compute pipelines, one per shader variant, created on first use and kept for the backend's life.
//
// Each pipeline knows from its shader's SPIR-V how many storage buffers it binds and how large its push
// constants are; the command stream asserts both at every dispatch. All bindings are storage buffers of
// descriptor set 0, so a layout is only a binding count.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

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
    explicit PipelineCache(std::shared_ptr<Device> device);
    ~PipelineCache();
    PipelineCache(const PipelineCache&) = delete;
    PipelineCache& operator=(const PipelineCache&) = delete;

    // Whether the shader variant `name` was built into Loom.
    static bool has(std::string_view name);
    // The pipeline of shader variant `name` ("matvec_f16_sg"), created on first use. Throws Error if no
    // such variant was built: the operation is not supported on the GPU.
    const Pipeline& get(std::string_view name);

  private:
    std::shared_ptr<Device> device_;
    VkPipelineCache cache_ = VK_NULL_HANDLE;  // lets the driver reuse compiled code between pipelines
    std::map<std::string, std::unique_ptr<Pipeline>, std::less<>> pipelines_;
};

}  // namespace loom::gpu
