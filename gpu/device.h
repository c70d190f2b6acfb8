// The logical device Loom computes on: one compute queue, the features it enabled and the limits its
// kernels and buffers must respect.
#pragma once

#include <memory>

#include "gpu/instance.h"

namespace loom::gpu {

struct DeviceCapabilities {
    // Reductions use subgroup operations when the device offers basic and arithmetic ones in compute
    // shaders. Their size (gl_SubgroupSize) is whatever the device uses: kernels never assume one.
    bool subgroups = false;
    uint32_t subgroup_size = 0;  // for display only
    bool float64 = false;        // shaderFloat64, enabled
    // The most bytes one descriptor may bind (maxStorageBufferRange, or VulkanOptions::max_binding_bytes,
    // and at most 2 GiB so that byte offsets fit the kernels' 32-bit arithmetic).
    VkDeviceSize max_binding_bytes = 0;
    VkDeviceSize binding_alignment = 0;     // minStorageBufferOffsetAlignment
    VkDeviceSize max_allocation_bytes = 0;  // maxMemoryAllocationSize
    uint32_t max_push_constant_bytes = 0;
    uint32_t max_workgroups_x = 0;  // maxComputeWorkGroupCount[0]
    uint32_t max_workgroups_y = 0;  // maxComputeWorkGroupCount[1]
    bool memory_budget = false;     // VK_EXT_memory_budget, enabled
    // A CPU device (lavapipe) whose kernels are laid out for it (VulkanOptions::cpu_device_layouts).
    bool cpu_layouts = false;
    // Nanoseconds per timestamp tick; 0 when the compute queue cannot write timestamps.
    double timestamp_period_ns = 0;
};

class Device {
  public:
    // Creates the logical device with a compute queue on `physical`, a device of `instance`.
    Device(std::shared_ptr<Instance> instance, const PhysicalDevice& physical, const VulkanOptions& options);
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    VkDevice handle() const { return device_; }
    const DeviceFunctions& api() const { return api_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return physical_.compute_family; }
    const PhysicalDevice& physical() const { return physical_; }
    Instance& instance() const { return *instance_; }
    const DeviceCapabilities& capabilities() const { return capabilities_; }
    const VkPhysicalDeviceMemoryProperties& memory_properties() const { return memory_properties_; }

    // The size of a memory heap and how much of it this process may still use: the driver's budget
    // (VK_EXT_memory_budget) when it has one, else the heap's size less what Loom allocated (`used`).
    struct HeapSpace {
        uint64_t size = 0;
        uint64_t available = 0;
    };
    HeapSpace heap_space(uint32_t heap, uint64_t used) const;

  private:
    std::shared_ptr<Instance> instance_;
    PhysicalDevice physical_;
    VkDevice device_ = VK_NULL_HANDLE;
    DeviceFunctions api_;
    VkQueue queue_ = VK_NULL_HANDLE;
    DeviceCapabilities capabilities_;
    VkPhysicalDeviceMemoryProperties memory_properties_{};
};

}  // namespace loom::gpu
