#include "gpu/pipelines.h"

#include <vector>

#include "gpu/pipeline_cache_file.h"
#include "gpu/shader_table.h"
#include "util/error.h"

namespace loom::gpu {

Pipeline::Pipeline(const Device& device, VkPipelineCache cache, std::string name,
                   std::span<const uint32_t> spirv)
    : device_(device), name_(std::move(name)), interface_(read_shader_interface(spirv, name_)) {
    const DeviceFunctions& vk = device_.api();
    VkDevice handle = device_.handle();
    if (interface_.push_constant_bytes > device_.capabilities().max_push_constant_bytes)
        fail("shader ", name_, " needs ", interface_.push_constant_bytes,
             " bytes of push constants; the device allows ", device_.capabilities().max_push_constant_bytes);

    std::vector<VkDescriptorSetLayoutBinding> bindings(interface_.bindings);
    for (uint32_t b = 0; b < interface_.bindings; ++b) {
        bindings[b].binding = b;
        bindings[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[b].descriptorCount = 1;
        bindings[b].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo set_layout{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    set_layout.bindingCount = interface_.bindings;
    set_layout.pBindings = bindings.data();
    check(vk.CreateDescriptorSetLayout(handle, &set_layout, nullptr, &set_layout_),
          "creating a descriptor set layout");

    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, interface_.push_constant_bytes};
    VkPipelineLayoutCreateInfo layout{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout.setLayoutCount = 1;
    layout.pSetLayouts = &set_layout_;
    layout.pushConstantRangeCount = interface_.push_constant_bytes > 0 ? 1 : 0;
    layout.pPushConstantRanges = &push;
    VkResult result = vk.CreatePipelineLayout(handle, &layout, nullptr, &layout_);
    if (result != VK_SUCCESS) {
        vk.DestroyDescriptorSetLayout(handle, set_layout_, nullptr);
        check(result, "creating a pipeline layout");
    }

    VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    module_info.codeSize = spirv.size_bytes();
    module_info.pCode = spirv.data();
    VkShaderModule module = VK_NULL_HANDLE;
    result = vk.CreateShaderModule(handle, &module_info, nullptr, &module);
    if (result == VK_SUCCESS) {
        VkComputePipelineCreateInfo pipeline{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
        pipeline.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
        pipeline.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
        pipeline.stage.module = module;
        pipeline.stage.pName = "main";
        pipeline.layout = layout_;
        result = vk.CreateComputePipelines(handle, cache, 1, &pipeline, nullptr, &pipeline_);
        vk.DestroyShaderModule(handle, module, nullptr);
    }
    if (result != VK_SUCCESS) {
        vk.DestroyPipelineLayout(handle, layout_, nullptr);
        vk.DestroyDescriptorSetLayout(handle, set_layout_, nullptr);
        check(result, cat("compiling shader ", name_).c_str());
    }
}

Pipeline::~Pipeline() {
    const DeviceFunctions& vk = device_.api();
    vk.DestroyPipeline(device_.handle(), pipeline_, nullptr);
    vk.DestroyPipelineLayout(device_.handle(), layout_, nullptr);
    vk.DestroyDescriptorSetLayout(device_.handle(), set_layout_, nullptr);
}

PipelineCache::PipelineCache(std::shared_ptr<Device> device, std::filesystem::path file)
    : device_(std::move(device)), file_(std::move(file)) {
    std::vector<std::byte> saved;
    if (!file_.empty()) saved = read_pipeline_cache(file_, device_->physical());
    auto create = [&] {
        VkPipelineCacheCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
        info.initialDataSize = saved.size();
        info.pInitialData = saved.empty() ? nullptr : saved.data();
        return device_->api().CreatePipelineCache(device_->handle(), &info, nullptr, &cache_);
    };
    VkResult result = create();
    if (result != VK_SUCCESS && !saved.empty()) {
        // A valid header does not make the rest valid (a damaged file): start empty rather than fail.
        saved.clear();
        result = create();
    }
    check(result, "creating a pipeline cache");
    initial_bytes_ = saved.size();
}

PipelineCache::~PipelineCache() {
    if (!file_.empty() && !pipelines_.empty()) save();
    pipelines_.clear();
    device_->api().DestroyPipelineCache(device_->handle(), cache_, nullptr);
}

std::vector<std::byte> PipelineCache::data() const {
    const DeviceFunctions& vk = device_->api();
    size_t size = 0;
    if (vk.GetPipelineCacheData(device_->handle(), cache_, &size, nullptr) != VK_SUCCESS ||
        size > kMaxPipelineCacheBytes)
        return {};
    std::vector<std::byte> data(size);
    if (vk.GetPipelineCacheData(device_->handle(), cache_, &size, data.data()) != VK_SUCCESS) return {};
    data.resize(size);
    return data;
}

void PipelineCache::save() const {
    try {
        std::vector<std::byte> data = this->data();
        // Only what the next run would accept: a cache whose header names this device and driver.
        if (pipeline_cache_fits(data, device_->physical())) write_file_atomically(file_, data);
    } catch (...) {
        // Out of memory, or a path the file system refuses: the next run compiles again.
    }
}

bool PipelineCache::has(std::string_view name) {
    return !find_shader(name).empty();
}

const Pipeline& PipelineCache::get(std::string_view name) {
    auto it = pipelines_.find(name);
    if (it != pipelines_.end()) return *it->second;
    std::span<const uint32_t> spirv = find_shader(name);
    if (spirv.empty()) fail("the Vulkan backend has no kernel '", name, "'");
    auto pipeline = std::make_unique<Pipeline>(*device_, cache_, std::string(name), spirv);
    return *pipelines_.emplace(std::string(name), std::move(pipeline)).first->second;
}

}  // namespace loom::gpu
