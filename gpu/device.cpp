#include "gpu/device.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "util/error.h"

namespace loom::gpu {

namespace {

// Kernels compute byte offsets within a binding in 32-bit unsigned arithmetic.
constexpr VkDeviceSize kMaxBindingForKernels = VkDeviceSize{1} << 31;

bool has_device_extension(const InstanceFunctions& api, VkPhysicalDevice device, const char* name) {
    uint32_t count = 0;
    api.EnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> extensions(count);
    api.EnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data());
    return std::any_of(extensions.begin(), extensions.end(), [&](const VkExtensionProperties& e) {
        return std::strcmp(e.extensionName, name) == 0;
    });
}

}  // namespace

Device::Device(std::shared_ptr<Instance> instance, const PhysicalDevice& physical,
               const VulkanOptions& options)
    : instance_(std::move(instance)), physical_(physical) {
    const InstanceFunctions& vk = instance_->api();

    VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties maintenance3{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    subgroup.pNext = &maintenance3;
    VkPhysicalDeviceProperties2 properties{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    properties.pNext = &subgroup;
    vk.GetPhysicalDeviceProperties2(physical_.handle, &properties);
    const VkPhysicalDeviceLimits& limits = properties.properties.limits;

    VkPhysicalDeviceFeatures available;
    vk.GetPhysicalDeviceFeatures(physical_.handle, &available);
    vk.GetPhysicalDeviceMemoryProperties(physical_.handle, &memory_properties_);

    DeviceCapabilities& caps = capabilities_;
    constexpr VkSubgroupFeatureFlags kNeeded =
        VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
    caps.subgroups = options.use_subgroups && (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                     (subgroup.supportedOperations & kNeeded) == kNeeded;
    caps.subgroup_size = subgroup.subgroupSize;
    caps.float64 = options.use_float64 && available.shaderFloat64;
    caps.max_binding_bytes = std::min<VkDeviceSize>(limits.maxStorageBufferRange, kMaxBindingForKernels);
    if (options.max_binding_bytes > 0)
        caps.max_binding_bytes = std::min(caps.max_binding_bytes, options.max_binding_bytes);
    caps.binding_alignment = std::max<VkDeviceSize>(limits.minStorageBufferOffsetAlignment, 4);
    caps.max_allocation_bytes = maintenance3.maxMemoryAllocationSize;
    caps.max_push_constant_bytes = limits.maxPushConstantsSize;
    caps.max_workgroups_x = limits.maxComputeWorkGroupCount[0];
    caps.max_workgroups_y = limits.maxComputeWorkGroupCount[1];
    caps.memory_budget = has_device_extension(vk, physical_.handle, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
    caps.cpu_layouts = physical_.info.is_cpu && options.cpu_device_layouts;
    uint32_t families = 0;
    vk.GetPhysicalDeviceQueueFamilyProperties(physical_.handle, &families, nullptr);
    std::vector<VkQueueFamilyProperties> family_properties(families);
    vk.GetPhysicalDeviceQueueFamilyProperties(physical_.handle, &families, family_properties.data());
    if (physical_.compute_family < families &&
        family_properties[physical_.compute_family].timestampValidBits > 0)
        caps.timestamp_period_ns = limits.timestampPeriod;

    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue.queueFamilyIndex = physical_.compute_family;
    queue.queueCount = 1;
    queue.pQueuePriorities = &priority;
    VkPhysicalDeviceFeatures enabled{};
    enabled.shaderFloat64 = caps.float64 ? VK_TRUE : VK_FALSE;
    std::vector<const char*> extensions;
    if (caps.memory_budget) extensions.push_back(VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
    VkDeviceCreateInfo create{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    create.queueCreateInfoCount = 1;
    create.pQueueCreateInfos = &queue;
    create.pEnabledFeatures = &enabled;
    create.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    create.ppEnabledExtensionNames = extensions.data();
    check(vk.CreateDevice(physical_.handle, &create, nullptr, &device_),
          cat("creating a device on '", physical_.info.name, "'").c_str());
    try {
        api_ = load_device_functions(vk, device_);
    } catch (...) {
        // Without the table there is no vkDestroyDevice to call but the instance's own lookup.
        auto destroy =
            reinterpret_cast<PFN_vkDestroyDevice>(vk.GetDeviceProcAddr(device_, "vkDestroyDevice"));
        if (destroy) destroy(device_, nullptr);
        throw;
    }
    api_.GetDeviceQueue(device_, physical_.compute_family, 0, &queue_);
}

Device::~Device() {
    api_.DeviceWaitIdle(device_);
    api_.DestroyDevice(device_, nullptr);
}

Device::HeapSpace Device::heap_space(uint32_t heap, uint64_t used) const {
    HeapSpace space;
    space.size = memory_properties_.memoryHeaps[heap].size;
    space.available = space.size > used ? space.size - used : 0;
    if (capabilities_.memory_budget) {
        VkPhysicalDeviceMemoryBudgetPropertiesEXT budget{
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
        VkPhysicalDeviceMemoryProperties2 properties{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2};
        properties.pNext = &budget;
        instance_->api().GetPhysicalDeviceMemoryProperties2(physical_.handle, &properties);
        // heapUsage counts every allocation of this process, Loom's included.
        uint64_t limit = budget.heapBudget[heap], usage = budget.heapUsage[heap];
        if (limit > 0) space.available = limit > usage ? limit - usage : 0;
    }
    return space;
}

}  // namespace loom::gpu
