// loom-cli devices: what Loom can compute on here.
#include <cstdio>
#include <thread>

#include "commands.h"
#include "kernels/kernel_level.h"
#include "util/cpu_features.h"
#include "util/error.h"

namespace loom::cli {

int devices_command(Args args) {
    args.finish();
    std::printf("CPU: %s kernels, %u threads\n", cpu_features().describe().c_str(),
                std::thread::hardware_concurrency());
    try {
        std::vector<VulkanDeviceInfo> devices = list_vulkan_devices();
        if (devices.empty()) std::printf("Vulkan: no devices\n");
        for (const VulkanDeviceInfo& d : devices)
            std::printf("Vulkan %d: %s (%s), %.1f GiB, driver %s, Vulkan %s%s%s\n", d.index, d.name.c_str(),
                        d.type.c_str(), static_cast<double>(d.memory_bytes) / (1u << 30), d.driver.c_str(),
                        d.api_version.c_str(),
                        d.usable ? "" : ": cannot be used: ", d.unusable_reason.c_str());
    } catch (const Error& e) {
        std::printf("Vulkan: not available (%s)\n", e.what());
    }
    return 0;
}

}  // namespace loom::cli
