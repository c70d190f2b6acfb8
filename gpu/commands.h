// Recording GPU work and submitting it.
//
// The backend records every operation (dispatches, copies, fills) into the command buffer of the current
// frame and submits when the host needs a result, when a staging arena is full, or between operations
// once a frame holds many dispatches. There are two frames, so the host can fill one frame's staging arena
// (uploading weights, say) or record the rest of a forward pass while the GPU works on the other's.
//
// Barriers are placed from the buffers each command touches: a command that reads or writes a range
// written since the last barrier, or writes a range read since then, gets a barrier first. Independent
// commands (the q, k and v projections of one layer) can therefore overlap.
#pragma once

#include <array>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "gpu/buffers.h"
#include "gpu/kernel_profiler.h"
#include "gpu/pipelines.h"

namespace loom::gpu {

enum class Access { Read, Write, ReadWrite };

struct Binding {
    BufferRange range;
    Access access = Access::Read;
};
inline Binding reads(const BufferRange& range) {
    return {range, Access::Read};
}
inline Binding writes(const BufferRange& range) {
    return {range, Access::Write};
}
inline Binding updates(const BufferRange& range) {
    return {range, Access::ReadWrite};
}

struct WorkGroups {
    uint32_t x = 1, y = 1, z = 1;
};

// `groups` work groups laid out as (x, y) so that neither exceeds the device's limits; kernels recover the
// index as gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x and skip indices >= groups.
WorkGroups flat_grid(uint64_t groups, const DeviceCapabilities& caps);

class CommandStream {
  public:
    CommandStream(std::shared_ptr<Device> device, std::shared_ptr<DeviceMemory> memory,
                  VkDeviceSize staging_bytes);
    ~CommandStream();
    CommandStream(const CommandStream&) = delete;
    CommandStream& operator=(const CommandStream&) = delete;

    // Records a dispatch of `pipeline`. The number of bindings and the size of `Push` must be what the
    // pipeline's shader declares (checked: a mismatch is a bug, reported as Error).
    template <class Push>
    void dispatch(const Pipeline& pipeline, std::initializer_list<Binding> bindings, const Push& push,
                  WorkGroups groups) {
        static_assert(std::is_trivially_copyable_v<Push> && sizeof(Push) % 4 == 0);
        dispatch_raw(pipeline, bindings, &push, sizeof(Push), groups);
    }
    void copy(const BufferRange& source, const BufferRange& destination);  // equal sizes
    void fill_zero(const BufferRange& destination);

    // `bytes` (at most staging_capacity()) of this frame's staging arena, for data the recorded commands
    // read. Submits the frame first when its arena is full.
    StagingSlice stage(VkDeviceSize bytes);
    VkDeviceSize staging_capacity() const;

    // Sends what was recorded to the GPU; recording continues in the next frame.
    void submit();
    // submit() if the frame holds many dispatches already. Called between operations only: commands
    // recorded later must not read staging slices taken before (they belong to the submitted frame, whose
    // arena is reused once it completes).
    void submit_if_due();
    // Submits and waits until the GPU has done everything recorded so far. Throws Error if the device was
    // lost or the validation layer reported errors.
    void finish();

  private:
    struct Frame {
        VkCommandPool pool = VK_NULL_HANDLE;
        VkCommandBuffer commands = VK_NULL_HANDLE;
        VkFence fence = VK_NULL_HANDLE;
        std::vector<VkDescriptorPool> descriptor_pools;
        size_t descriptor_pool = 0;  // the one sets are taken from now
        std::unique_ptr<StagingArena> staging;
        uint64_t serial = 0;
        bool recorded = false;  // has commands besides the opening barrier
        uint32_t dispatches = 0;
        bool in_flight = false;  // submitted, fence not yet waited for
    };
    struct Touched {
        VkBuffer buffer;
        VkDeviceSize begin, end;
        bool written;
    };

    void dispatch_raw(const Pipeline& pipeline, std::initializer_list<Binding> bindings, const void* push,
                      uint32_t push_bytes, WorkGroups groups);
    // Places a barrier before commands that touch `bindings` if they conflict with earlier ones.
    void order_after_earlier(std::initializer_list<Binding> bindings);
    void barrier();
    VkDescriptorSet allocate_descriptor_set(const Pipeline& pipeline);
    void begin_frame(Frame& frame);
    void submit_frame();
    // A failure while talking to the GPU (device lost, out of memory) leaves the command buffers in an
    // unknown state: it is remembered, and every later call reports it instead of recording more.
    void ensure_working() const;
    template <class Fn>
    void guarded(Fn&& step);
    void wait(Frame& frame);
    Frame& current() { return frames_[current_]; }
    size_t index_of(const Frame& frame) const { return static_cast<size_t>(&frame - frames_.data()); }

    std::shared_ptr<Device> device_;
    std::shared_ptr<DeviceMemory> memory_;
    std::array<Frame, 2> frames_;
    size_t current_ = 0;
    uint64_t next_serial_ = 1;
    std::vector<Touched> touched_;              // since the last barrier
    std::string failure_;                       // why the stream stopped working, if it did
    std::unique_ptr<KernelProfiler> profiler_;  // LOOM_VULKAN_PROFILE=1 only
};

}  // namespace loom::gpu
