// The Vulkan loader, opened at run time, and the tables of Vulkan functions Loom calls.
//
// Loom does not link libvulkan: a machine without Vulkan must still run Loom on the CPU, so the loader is
// opened with dlopen when a Vulkan backend is first asked for, and a missing loader is an Error, not a
// failure to start. Functions are fetched in three levels, as Vulkan defines them: global (before an
// instance exists), instance, and device. Each table member is named like the function without its "vk"
// prefix: api.CreateBuffer(...) calls vkCreateBuffer.
#pragma once

#include <vulkan/vulkan.h>

namespace loom::gpu {

#define LOOM_VK_GLOBAL_FUNCTIONS(X)         \
    X(CreateInstance)                       \
    X(EnumerateInstanceExtensionProperties) \
    X(EnumerateInstanceLayerProperties)     \
    X(EnumerateInstanceVersion)

#define LOOM_VK_INSTANCE_FUNCTIONS(X)         \
    X(DestroyInstance)                        \
    X(EnumeratePhysicalDevices)               \
    X(EnumerateDeviceExtensionProperties)     \
    X(GetPhysicalDeviceProperties)            \
    X(GetPhysicalDeviceProperties2)           \
    X(GetPhysicalDeviceFeatures)              \
    X(GetPhysicalDeviceMemoryProperties)      \
    X(GetPhysicalDeviceMemoryProperties2)     \
    X(GetPhysicalDeviceQueueFamilyProperties) \
    X(CreateDevice)                           \
    X(GetDeviceProcAddr)

// From VK_EXT_debug_utils, present only when validation was asked for.
#define LOOM_VK_DEBUG_FUNCTIONS(X)  \
    X(CreateDebugUtilsMessengerEXT) \
    X(DestroyDebugUtilsMessengerEXT)

#define LOOM_VK_DEVICE_FUNCTIONS(X) \
    X(DestroyDevice)                \
    X(DeviceWaitIdle)               \
    X(GetDeviceQueue)               \
    X(QueueSubmit)                  \
    X(CreateBuffer)                 \
    X(DestroyBuffer)                \
    X(GetBufferMemoryRequirements)  \
    X(AllocateMemory)               \
    X(FreeMemory)                   \
    X(BindBufferMemory)             \
    X(MapMemory)                    \
    X(UnmapMemory)                  \
    X(InvalidateMappedMemoryRanges) \
    X(CreateShaderModule)           \
    X(DestroyShaderModule)          \
    X(CreateDescriptorSetLayout)    \
    X(DestroyDescriptorSetLayout)   \
    X(CreatePipelineLayout)         \
    X(DestroyPipelineLayout)        \
    X(CreatePipelineCache)          \
    X(DestroyPipelineCache)         \
    X(GetPipelineCacheData)         \
    X(CreateComputePipelines)       \
    X(DestroyPipeline)              \
    X(CreateDescriptorPool)         \
    X(DestroyDescriptorPool)        \
    X(ResetDescriptorPool)          \
    X(AllocateDescriptorSets)       \
    X(UpdateDescriptorSets)         \
    X(CreateCommandPool)            \
    X(DestroyCommandPool)           \
    X(AllocateCommandBuffers)       \
    X(ResetCommandPool)             \
    X(BeginCommandBuffer)           \
    X(EndCommandBuffer)             \
    X(CmdBindPipeline)              \
    X(CmdBindDescriptorSets)        \
    X(CmdPushConstants)             \
    X(CmdDispatch)                  \
    X(CmdPipelineBarrier)           \
    X(CmdCopyBuffer)                \
    X(CmdFillBuffer)                \
    X(CreateFence)                  \
    X(DestroyFence)                 \
    X(ResetFences)                  \
    X(WaitForFences)                \
    X(GetFenceStatus)               \
    X(CreateQueryPool)              \
    X(DestroyQueryPool)             \
    X(CmdResetQueryPool)            \
    X(CmdWriteTimestamp)            \
    X(GetQueryPoolResults)

#define LOOM_VK_DECLARE(name) PFN_vk##name name = nullptr;

struct GlobalFunctions {
    PFN_vkGetInstanceProcAddr GetInstanceProcAddr = nullptr;
    LOOM_VK_GLOBAL_FUNCTIONS(LOOM_VK_DECLARE)
};

struct InstanceFunctions {
    LOOM_VK_INSTANCE_FUNCTIONS(LOOM_VK_DECLARE)
    LOOM_VK_DEBUG_FUNCTIONS(LOOM_VK_DECLARE)
};

struct DeviceFunctions {
    LOOM_VK_DEVICE_FUNCTIONS(LOOM_VK_DECLARE)
};

#undef LOOM_VK_DECLARE

// The global functions of the system's Vulkan loader, opened on first use and kept for the life of the
// process (drivers do not expect to be unloaded). Throws Error if there is no loader.
const GlobalFunctions& vulkan_loader();

// Throws Error naming the first function the instance or device does not provide.
InstanceFunctions load_instance_functions(const GlobalFunctions& global, VkInstance instance,
                                          bool debug_utils);
DeviceFunctions load_device_functions(const InstanceFunctions& instance, VkDevice device);

// "VK_ERROR_DEVICE_LOST" for a result code.
const char* result_name(VkResult result);

// Throws Error unless `result` is VK_SUCCESS, with a message that says what failed (`what`: "creating the
// command pool") and, for the results a user can act on (out of memory, device lost), what to do.
void check(VkResult result, const char* what);

}  // namespace loom::gpu
