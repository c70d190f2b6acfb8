#include "gpu/loader.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "util/error.h"

namespace loom::gpu {

namespace {

// Names of the loader library to try, most specific first.
constexpr const char* kLoaderNames[] = {"libvulkan.so.1", "libvulkan.so", "libvulkan.1.dylib"};

GlobalFunctions open_loader() {
    void* library = nullptr;
    for (const char* name : kLoaderNames)
        if ((library = dlopen(name, RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    if (!library)
        fail(
            "Vulkan is not available: the Vulkan loader (libvulkan.so.1) was not found. Install your "
            "graphics "
            "driver's Vulkan support (on Debian: libvulkan1 and mesa-vulkan-drivers), or use the CPU "
            "backend");
    GlobalFunctions global;
    global.GetInstanceProcAddr =
        reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(library, "vkGetInstanceProcAddr"));
    if (!global.GetInstanceProcAddr)
        fail("the Vulkan loader has no vkGetInstanceProcAddr: it is broken or too old");
#define LOOM_VK_LOAD(name) \
    global.name = reinterpret_cast<PFN_vk##name>(global.GetInstanceProcAddr(nullptr, "vk" #name));
    LOOM_VK_GLOBAL_FUNCTIONS(LOOM_VK_LOAD)
#undef LOOM_VK_LOAD
    // vkEnumerateInstanceVersion is missing from Vulkan 1.0 loaders; the others are required.
    if (!global.CreateInstance || !global.EnumerateInstanceExtensionProperties ||
        !global.EnumerateInstanceLayerProperties)
        fail("the Vulkan loader lacks its basic functions: it is broken or too old");
    return global;
}

}  // namespace

const GlobalFunctions& vulkan_loader() {
    // Opened once; a failure is remembered so that every later attempt reports the same message quickly.
    static std::once_flag once;
    static GlobalFunctions global;
    static std::string error;
    std::call_once(once, [] {
        try {
            global = open_loader();
        } catch (const Error& e) {
            error = e.what();
        }
    });
    if (!error.empty()) throw Error(error);
    return global;
}

InstanceFunctions load_instance_functions(const GlobalFunctions& global, VkInstance instance,
                                          bool debug_utils) {
    InstanceFunctions f;
#define LOOM_VK_LOAD(name)                                                                     \
    f.name = reinterpret_cast<PFN_vk##name>(global.GetInstanceProcAddr(instance, "vk" #name)); \
    if (!f.name)                                                                               \
        fail("the Vulkan instance does not provide vk" #name                                   \
             ": the driver is too old for Loom "                                               \
             "(it needs Vulkan 1.1)");
    LOOM_VK_INSTANCE_FUNCTIONS(LOOM_VK_LOAD)
    if (debug_utils) {
        LOOM_VK_DEBUG_FUNCTIONS(LOOM_VK_LOAD)
    }
#undef LOOM_VK_LOAD
    return f;
}

DeviceFunctions load_device_functions(const InstanceFunctions& instance, VkDevice device) {
    DeviceFunctions f;
#define LOOM_VK_LOAD(name)                                                                   \
    f.name = reinterpret_cast<PFN_vk##name>(instance.GetDeviceProcAddr(device, "vk" #name)); \
    if (!f.name)                                                                             \
        fail("the Vulkan device does not provide vk" #name                                   \
             ": its driver is too old for Loom "                                             \
             "(it needs Vulkan 1.1)");
    LOOM_VK_DEVICE_FUNCTIONS(LOOM_VK_LOAD)
#undef LOOM_VK_LOAD
    return f;
}

const char* result_name(VkResult result) {
    switch (result) {
#define LOOM_VK_RESULT(name) \
    case name:               \
        return #name;
        LOOM_VK_RESULT(VK_SUCCESS)
        LOOM_VK_RESULT(VK_NOT_READY)
        LOOM_VK_RESULT(VK_TIMEOUT)
        LOOM_VK_RESULT(VK_INCOMPLETE)
        LOOM_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
        LOOM_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        LOOM_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
        LOOM_VK_RESULT(VK_ERROR_DEVICE_LOST)
        LOOM_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
        LOOM_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
        LOOM_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
        LOOM_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
        LOOM_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
        LOOM_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
        LOOM_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
        LOOM_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
        LOOM_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
        LOOM_VK_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
        LOOM_VK_RESULT(VK_ERROR_FRAGMENTATION)
        LOOM_VK_RESULT(VK_ERROR_UNKNOWN)
#undef LOOM_VK_RESULT
        default:
            return "an unknown VkResult";
    }
}

void check(VkResult result, const char* what) {
    switch (result) {
        case VK_SUCCESS:
            return;
        case VK_ERROR_OUT_OF_DEVICE_MEMORY:
            fail_device(
                "the GPU ran out of memory ", what,
                ": close other programs using the GPU, use a smaller model or context, or the CPU backend");
        case VK_ERROR_OUT_OF_HOST_MEMORY:
            fail_device("out of memory ", what, " (VK_ERROR_OUT_OF_HOST_MEMORY)");
        case VK_ERROR_DEVICE_LOST:
            fail_device(
                "the GPU stopped responding ", what,
                " (VK_ERROR_DEVICE_LOST: the driver reset the device). Reload the model, or use the CPU "
                "backend");
        case VK_ERROR_INCOMPATIBLE_DRIVER:
            fail_device("the installed Vulkan driver is incompatible ", what, ": Loom needs Vulkan 1.1");
        default:
            fail_device("Vulkan failed ", what, " (", result_name(result), ")");
    }
}

}  // namespace loom::gpu
