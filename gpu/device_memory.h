// Device memory: large VkDeviceMemory blocks, each covered by one storage buffer, suballocated with a
// RangeAllocator. A tensor is a range of a block's buffer; Vulkan allows few allocations (often 4096), so
// allocating per tensor would not do.
//
// Memory is freed only once the GPU is done with it: the command stream numbers its submissions, and a
// range released while a submission that may use it is pending is kept until that submission completes.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gpu/device.h"
#include "gpu/range_allocator.h"
#include "util/system_memory.h"  // size_text

namespace loom::gpu {

// What the memory is for; each use has its own memory type.
enum class MemoryUse {
    Device,    // tensors: device-local
    Upload,    // staging for host -> device copies: host-visible, preferably write-combined system memory
    Readback,  // device -> host copies: host-visible, preferably cached
};

struct MemoryBlock;

// Bytes [offset, offset + size) of a buffer, as bound to a descriptor or named in a copy.
struct BufferRange {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceSize offset = 0;
    VkDeviceSize size = 0;
};

// A range of a block. `buffer` covers the whole block; the range is [offset, offset + size).
struct DeviceAllocation {
    MemoryBlock* block = nullptr;
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceSize offset = 0;
    VkDeviceSize size = 0;
    std::byte* mapped = nullptr;  // the range's bytes on the host, for Upload and Readback memory

    explicit operator bool() const { return block != nullptr; }
    BufferRange range() const { return {buffer, offset, size}; }
};

class DeviceMemory {
  public:
    // `device_limit`: the most bytes of Device memory to take (0: no limit but the device's).
    DeviceMemory(std::shared_ptr<Device> device, uint64_t device_limit);
    ~DeviceMemory();
    DeviceMemory(const DeviceMemory&) = delete;
    DeviceMemory& operator=(const DeviceMemory&) = delete;

    // A range of at least `size` bytes, aligned for binding as a storage buffer. Throws Error, with the
    // sizes, when the device is out of memory.
    DeviceAllocation allocate(MemoryUse use, VkDeviceSize size);
    // Frees `allocation` once the GPU can no longer be using it (see the serials below).
    void release(const DeviceAllocation& allocation);

    // Submission serials, kept by the command stream: commands recorded now will be part of submission
    // `recording`; every submission up to `completed` has finished. Releases wait for `recording`.
    void set_recording_serial(uint64_t serial) { recording_serial_ = serial; }
    void set_completed_serial(uint64_t serial);

    Device& device() const { return *device_; }
    uint64_t allocated_bytes(MemoryUse use) const;           // in live blocks
    uint32_t heap(MemoryUse use) const;                      // the memory heap that use draws from
    uint64_t device_limit() const { return device_limit_; }  // 0: none
    // Free bytes inside the blocks of `use`.
    uint64_t unused_bytes(MemoryUse use) const;
    // Bytes of Device memory tensors may still take under the limit: free space in its blocks and what the
    // limit leaves for new blocks (the maximum when there is no limit).
    uint64_t device_room() const;
    size_t block_count() const { return blocks_.size(); }

  private:
    void free_now(const DeviceAllocation& allocation);
    MemoryBlock& new_block(MemoryUse use, VkDeviceSize size);
    uint64_t room_for_new_device_blocks() const;
    uint32_t choose_memory_type(MemoryUse use, uint32_t allowed_types) const;

    std::shared_ptr<Device> device_;
    uint64_t device_limit_;
    VkDeviceSize alignment_ = 0;
    std::array<uint32_t, 3> memory_types_{};  // per MemoryUse
    std::vector<std::unique_ptr<MemoryBlock>> blocks_;
    struct Deferred {
        DeviceAllocation allocation;
        uint64_t serial;  // free once this submission has completed
    };
    std::vector<Deferred> deferred_;
    uint64_t recording_serial_ = 0;
    uint64_t completed_serial_ = 0;
};

}  // namespace loom::gpu
