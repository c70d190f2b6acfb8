// The Vulkan instance and the physical devices it sees: what each one is, whether Loom can use it, and
// which one to use.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gpu/loader.h"
#include "gpu/vulkan_backend.h"

namespace loom::gpu {

struct PhysicalDevice {
    VkPhysicalDevice handle = VK_NULL_HANDLE;
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    VulkanDeviceInfo info;
    uint32_t compute_family = 0;  // a queue family with compute support (valid when info.usable)
    // Which device and driver build compiled pipelines are valid for: a saved pipeline cache is used only
    // when its header names the same three (pipeline_cache_file.h).
    uint32_t vendor_id = 0;
    uint32_t device_id = 0;
    std::array<uint8_t, VK_UUID_SIZE> pipeline_cache_uuid{};
};

// The device `options` ask for among `devices`: by index, or else the best usable one: a discrete GPU, then
// an integrated, virtual or other one, a CPU device (lavapipe) only when options allow it; among devices of
// one kind, the one with the most memory. Throws Error saying why none fits.
const PhysicalDevice& choose_device(const std::vector<PhysicalDevice>& devices, const VulkanOptions& options);

class Instance {
  public:
    // The process's instance (one with validation, one without), created on first use and kept until the
    // process ends: creating one loads the drivers, which is slow, and a driver unloaded and loaded again
    // loses the state it set up the first time (leaking it). Devices installed later are not seen.
    static std::shared_ptr<Instance> shared(bool validation);

    // Creates the instance (with the validation layer when asked for and installed) and describes every
    // physical device. Throws Error when Vulkan is missing or older than 1.1.
    explicit Instance(bool validation);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    VkInstance handle() const { return instance_; }
    const InstanceFunctions& api() const { return api_; }
    uint32_t api_version() const { return api_version_; }
    const std::vector<PhysicalDevice>& devices() const { return devices_; }
    bool validation_enabled() const { return messenger_ != VK_NULL_HANDLE; }

    // The device `options` ask for: by index, or the best usable one. Throws Error saying why none fits.
    const PhysicalDevice& choose(const VulkanOptions& options) const;

    // Error messages of the validation layer since the last call (empty without validation).
    std::vector<std::string> take_validation_errors();

  private:
    static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                           VkDebugUtilsMessageTypeFlagsEXT types,
                                                           const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                           void* self);
    PhysicalDevice describe(VkPhysicalDevice device) const;

    VkInstance instance_ = VK_NULL_HANDLE;
    InstanceFunctions api_;
    uint32_t api_version_ = 0;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    std::vector<PhysicalDevice> devices_;
    std::mutex messages_mutex_;  // the layer may call back from driver threads
    std::vector<std::string> validation_errors_;
};

}  // namespace loom::gpu
