#include "gpu/kernel_profiler.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"

namespace loom::gpu {

namespace {

// Timestamps per frame; commands beyond this many in one frame go unmeasured.
constexpr uint32_t kQueriesPerFrame = 16384;

}  // namespace

std::unique_ptr<KernelProfiler> KernelProfiler::from_environment(std::shared_ptr<Device> device,
                                                                 size_t frames) {
    const char* flag = std::getenv("LOOM_VULKAN_PROFILE");
    if (!flag || std::string(flag) != "1") return nullptr;
    if (device->capabilities().timestamp_period_ns <= 0) {
        std::fprintf(stderr, "LOOM_VULKAN_PROFILE: this device's compute queue has no timestamps\n");
        return nullptr;
    }
    return std::make_unique<KernelProfiler>(std::move(device), frames);
}

KernelProfiler::KernelProfiler(std::shared_ptr<Device> device, size_t frames)
    : device_(std::move(device)), frames_(frames) {
    for (FrameQueries& frame : frames_) {
        VkQueryPoolCreateInfo create{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
        create.queryType = VK_QUERY_TYPE_TIMESTAMP;
        create.queryCount = kQueriesPerFrame;
        check(device_->api().CreateQueryPool(device_->handle(), &create, nullptr, &frame.pool),
              "creating a timestamp query pool");
    }
}

KernelProfiler::~KernelProfiler() {
    for (FrameQueries& frame : frames_)
        device_->api().DestroyQueryPool(device_->handle(), frame.pool, nullptr);

    std::vector<std::pair<std::string, Total>> rows(totals_.begin(), totals_.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.ns > b.second.ns; });
    double all = 0;
    for (const auto& [name, total] : rows)
        all += total.ns;
    std::fprintf(stderr, "\nGPU time per kernel (%llu submissions, %.3f ms in all):\n",
                 static_cast<unsigned long long>(submissions_), all / 1e6);
    std::fprintf(stderr, "  %-24s %10s %12s %10s %7s\n", "kernel", "calls", "total ms", "mean us", "share");
    for (const auto& [name, total] : rows)
        std::fprintf(stderr, "  %-24s %10llu %12.3f %10.2f %6.1f%%\n", name.c_str(),
                     static_cast<unsigned long long>(total.calls), total.ns / 1e6,
                     total.ns / 1e3 / static_cast<double>(total.calls),
                     all > 0 ? 100.0 * total.ns / all : 0.0);
}

void KernelProfiler::begin_frame(size_t frame, VkCommandBuffer commands) {
    FrameQueries& queries = frames_[frame];
    device_->api().CmdResetQueryPool(commands, queries.pool, 0, kQueriesPerFrame);
    device_->api().CmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries.pool, 0);
    queries.names.clear();
    queries.written = 1;
}

void KernelProfiler::after_command(size_t frame, VkCommandBuffer commands, const std::string& name) {
    FrameQueries& queries = frames_[frame];
    if (queries.written == kQueriesPerFrame) return;
    device_->api().CmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries.pool,
                                     queries.written++);
    queries.names.push_back(name);
}

void KernelProfiler::frame_completed(size_t frame) {
    FrameQueries& queries = frames_[frame];
    if (queries.names.empty()) return;
    std::vector<uint64_t> ticks(queries.written);
    check(device_->api().GetQueryPoolResults(device_->handle(), queries.pool, 0, queries.written,
                                             ticks.size() * sizeof(uint64_t), ticks.data(), sizeof(uint64_t),
                                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
          "reading timestamps");
    double period = device_->capabilities().timestamp_period_ns;
    for (size_t i = 0; i < queries.names.size(); ++i) {
        Total& total = totals_[queries.names[i]];
        total.ns += static_cast<double>(ticks[i + 1] - ticks[i]) * period;
        ++total.calls;
    }
    queries.names.clear();
    ++submissions_;
}

}  // namespace loom::gpu
