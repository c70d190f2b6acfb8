#include "gpu/instance.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace loom::gpu {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::string version_text(uint32_t version) {
    return cat(VK_API_VERSION_MAJOR(version), ".", VK_API_VERSION_MINOR(version), ".",
               VK_API_VERSION_PATCH(version));
}

bool has_layer(const GlobalFunctions& global, const char* name) {
    uint32_t count = 0;
    global.EnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    global.EnumerateInstanceLayerProperties(&count, layers.data());
    return std::any_of(layers.begin(), layers.end(), [&](const VkLayerProperties& layer) {
        return std::strcmp(layer.layerName, name) == 0;
    });
}

bool has_instance_extension(const GlobalFunctions& global, const char* name) {
    uint32_t count = 0;
    global.EnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> extensions(count);
    global.EnumerateInstanceExtensionProperties(nullptr, &count, extensions.data());
    return std::any_of(extensions.begin(), extensions.end(), [&](const VkExtensionProperties& e) {
        return std::strcmp(e.extensionName, name) == 0;
    });
}

const char* type_text(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
            return "discrete GPU";
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
            return "integrated GPU";
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
            return "virtual GPU";
        case VK_PHYSICAL_DEVICE_TYPE_CPU:
            return "CPU";
        default:
            return "other";
    }
}

// Order of preference when no device is named: real GPUs first.
int preference(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
            return 0;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
            return 1;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
            return 2;
        case VK_PHYSICAL_DEVICE_TYPE_OTHER:
            return 3;
        default:
            return 4;  // CPU
    }
}

}  // namespace

Instance::Instance(bool validation) {
    const GlobalFunctions& global = vulkan_loader();
    uint32_t loader_version = VK_API_VERSION_1_0;
    if (global.EnumerateInstanceVersion) global.EnumerateInstanceVersion(&loader_version);
    if (loader_version < VK_API_VERSION_1_1)
        fail("the Vulkan loader supports only Vulkan ", version_text(loader_version),
             "; Loom needs 1.1. Update the graphics driver");
    // The highest version whose features Loom uses; devices may support more.
    api_version_ = std::min<uint32_t>(loader_version, VK_API_VERSION_1_2);

    validation = validation && has_layer(global, kValidationLayer) &&
                 has_instance_extension(global, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    std::vector<const char*> layers, extensions;
    if (validation) {
        layers.push_back(kValidationLayer);
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "Loom";
    app.pEngineName = "Loom";
    app.apiVersion = api_version_;
    VkInstanceCreateInfo create{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    create.pApplicationInfo = &app;
    create.enabledLayerCount = static_cast<uint32_t>(layers.size());
    create.ppEnabledLayerNames = layers.data();
    create.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    create.ppEnabledExtensionNames = extensions.data();
    VkResult result = global.CreateInstance(&create, nullptr, &instance_);
    if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
        fail(
            "no Vulkan driver is installed (VK_ERROR_INCOMPATIBLE_DRIVER): install the GPU's Vulkan driver, "
            "or use the CPU backend");
    check(result, "creating the Vulkan instance");
    try {
        api_ = load_instance_functions(global, instance_, validation);
        if (validation) {
            VkDebugUtilsMessengerCreateInfoEXT messenger{
                VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
            messenger.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
            messenger.messageType =
                VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT;
            messenger.pfnUserCallback = &Instance::on_debug_message;
            messenger.pUserData = this;
            check(api_.CreateDebugUtilsMessengerEXT(instance_, &messenger, nullptr, &messenger_),
                  "installing the validation message callback");
        }
        uint32_t count = 0;
        check(api_.EnumeratePhysicalDevices(instance_, &count, nullptr), "listing the Vulkan devices");
        std::vector<VkPhysicalDevice> handles(count);
        check(api_.EnumeratePhysicalDevices(instance_, &count, handles.data()), "listing the Vulkan devices");
        for (uint32_t i = 0; i < count; ++i) {
            devices_.push_back(describe(handles[i]));
            devices_.back().info.index = static_cast<int>(i);
        }
    } catch (...) {
        if (messenger_) api_.DestroyDebugUtilsMessengerEXT(instance_, messenger_, nullptr);
        if (api_.DestroyInstance) api_.DestroyInstance(instance_, nullptr);
        throw;
    }
}

std::shared_ptr<Instance> Instance::shared(bool validation) {
    static std::mutex mutex;
    // Never destroyed: the instances live as long as the process (see the header). A failure is not
    // remembered, so that a driver installed meanwhile is found on the next attempt.
    static auto* instances = new std::shared_ptr<Instance>[2];
    std::lock_guard lock(mutex);
    std::shared_ptr<Instance>& instance = instances[validation ? 1 : 0];
    if (!instance) instance = std::make_shared<Instance>(validation);
    return instance;
}

Instance::~Instance() {
    if (messenger_) api_.DestroyDebugUtilsMessengerEXT(instance_, messenger_, nullptr);
    api_.DestroyInstance(instance_, nullptr);
}

PhysicalDevice Instance::describe(VkPhysicalDevice handle) const {
    PhysicalDevice device;
    device.handle = handle;
    VulkanDeviceInfo& info = device.info;

    VkPhysicalDeviceProperties properties;
    api_.GetPhysicalDeviceProperties(handle, &properties);
    info.name = properties.deviceName;
    device.type = properties.deviceType;
    info.type = type_text(properties.deviceType);
    info.is_cpu = properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    info.api_version = version_text(properties.apiVersion);
    info.driver = cat("driver version ", properties.driverVersion);
    device.vendor_id = properties.vendorID;
    device.device_id = properties.deviceID;
    std::copy(std::begin(properties.pipelineCacheUUID), std::end(properties.pipelineCacheUUID),
              device.pipeline_cache_uuid.begin());
    if (properties.apiVersion >= VK_API_VERSION_1_2 && api_version_ >= VK_API_VERSION_1_2) {
        VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
        VkPhysicalDeviceProperties2 properties2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
        properties2.pNext = &driver;
        api_.GetPhysicalDeviceProperties2(handle, &properties2);
        info.driver = cat(driver.driverName, " ", driver.driverInfo);
    }

    VkPhysicalDeviceMemoryProperties memory;
    api_.GetPhysicalDeviceMemoryProperties(handle, &memory);
    for (uint32_t h = 0; h < memory.memoryHeapCount; ++h)
        if (memory.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            info.memory_bytes = std::max<uint64_t>(info.memory_bytes, memory.memoryHeaps[h].size);

    uint32_t family_count = 0;
    api_.GetPhysicalDeviceQueueFamilyProperties(handle, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    api_.GetPhysicalDeviceQueueFamilyProperties(handle, &family_count, families.data());
    // Prefer a family with compute but not graphics (a dedicated compute queue), else any with compute.
    int chosen = -1;
    for (uint32_t f = 0; f < family_count; ++f) {
        if (!(families[f].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        bool dedicated = !(families[f].queueFlags & VK_QUEUE_GRAPHICS_BIT);
        if (chosen < 0 || dedicated) chosen = static_cast<int>(f);
        if (dedicated) break;
    }

    if (properties.apiVersion < VK_API_VERSION_1_1) {
        info.unusable_reason = cat("it supports only Vulkan ", info.api_version, "; Loom needs 1.1");
    } else if (chosen < 0) {
        info.unusable_reason = "it has no compute queue";
    } else {
        info.usable = true;
        device.compute_family = static_cast<uint32_t>(chosen);
    }
    return device;
}

const PhysicalDevice& Instance::choose(const VulkanOptions& options) const {
    return choose_device(devices_, options);
}

const PhysicalDevice& choose_device(const std::vector<PhysicalDevice>& devices,
                                    const VulkanOptions& options) {
    if (devices.empty())
        fail("no Vulkan device was found: install the GPU's Vulkan driver, or use the CPU backend");
    if (options.device_index >= 0) {
        if (options.device_index >= static_cast<int>(devices.size()))
            fail("there is no Vulkan device ", options.device_index, " (this machine has ", devices.size(),
                 ")");
        const PhysicalDevice& device = devices[static_cast<size_t>(options.device_index)];
        if (!device.info.usable)
            fail("the Vulkan device '", device.info.name, "' cannot be used: ", device.info.unusable_reason);
        return device;
    }
    const PhysicalDevice* best = nullptr;
    auto rank = [](const PhysicalDevice& d) { return preference(d.type); };
    for (const PhysicalDevice& device : devices) {
        if (!device.info.usable || (device.info.is_cpu && !options.allow_cpu_device)) continue;
        // Among devices of the same kind, the one with the most memory.
        if (!best || rank(device) < rank(*best) ||
            (rank(device) == rank(*best) && device.info.memory_bytes > best->info.memory_bytes))
            best = &device;
    }
    if (best) return *best;

    std::string seen;
    for (const PhysicalDevice& device : devices)
        seen += cat(seen.empty() ? "" : "; ", "'", device.info.name, "' (", device.info.type,
                    device.info.usable ? "" : ", unusable: " + device.info.unusable_reason, ")");
    bool only_cpu =
        std::all_of(devices.begin(), devices.end(), [](const PhysicalDevice& d) { return d.info.is_cpu; });
    if (only_cpu)
        fail("no Vulkan GPU was found, only software devices (", seen,
             "), which are slower than Loom's CPU "
             "backend. Use the CPU backend, or allow CPU devices (LOOM_VULKAN_ALLOW_CPU=1) for testing");
    fail("no usable Vulkan device was found (", seen, ")");
}

std::vector<std::string> Instance::take_validation_errors() {
    std::lock_guard lock(messages_mutex_);
    return std::exchange(validation_errors_, {});
}

VKAPI_ATTR VkBool32 VKAPI_CALL Instance::on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT,
                                                          VkDebugUtilsMessageTypeFlagsEXT,
                                                          const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                          void* self) {
    auto* instance = static_cast<Instance*>(self);
    std::lock_guard lock(instance->messages_mutex_);
    if (instance->validation_errors_.size() < 16) instance->validation_errors_.emplace_back(data->pMessage);
    return VK_FALSE;
}

}  // namespace loom::gpu
