// Where GPU time goes: with LOOM_VULKAN_PROFILE=1 in the environment, the command stream writes a timestamp
// after every command and this class adds up, per kernel, the time from the previous timestamp to its own.
// Commands that run side by side (no barrier between them) share their time, so the figures are the
// critical path as the GPU saw it, not each kernel's cost alone. The table goes to stderr when the stream
// is destroyed. Off (the default), nothing is recorded and nothing is read back.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gpu/device.h"

namespace loom::gpu {

class KernelProfiler {
  public:
    // Null when profiling is off (the variable unset) or the device's queue cannot write timestamps.
    static std::unique_ptr<KernelProfiler> from_environment(std::shared_ptr<Device> device, size_t frames);
    KernelProfiler(std::shared_ptr<Device> device, size_t frames);
    ~KernelProfiler();  // prints the table
    KernelProfiler(const KernelProfiler&) = delete;
    KernelProfiler& operator=(const KernelProfiler&) = delete;

    // Called by the command stream: at the start of a frame's recording, after each command it records, and
    // once the frame's fence has signalled.
    void begin_frame(size_t frame, VkCommandBuffer commands);
    void after_command(size_t frame, VkCommandBuffer commands, const std::string& name);
    void frame_completed(size_t frame);

  private:
    struct FrameQueries {
        VkQueryPool pool = VK_NULL_HANDLE;
        std::vector<std::string> names;  // the command before each timestamp but the first
        uint32_t written = 0;
    };
    struct Total {
        double ns = 0;
        uint64_t calls = 0;
    };

    std::shared_ptr<Device> device_;
    std::vector<FrameQueries> frames_;
    std::map<std::string, Total> totals_;
    uint64_t submissions_ = 0;
};

}  // namespace loom::gpu
