// The two kinds of buffers the backend uses besides its pipelines' own: tensors in device memory, and
// host-visible staging arenas through which data travels between the host and the device.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "gpu/device_memory.h"
#include "tensor/tensor.h"

namespace loom::gpu {

// The storage of a tensor of the Vulkan backend: a range of a device memory block. Released when the last
// Tensor handle sharing it goes away (after the GPU is done with it: DeviceMemory::release).
class TensorBuffer final : public TensorStorage {
  public:
    TensorBuffer(const void* backend, std::shared_ptr<DeviceMemory> memory,
                 const DeviceAllocation& allocation)
        : TensorStorage(backend), memory_(std::move(memory)), allocation_(allocation) {}
    ~TensorBuffer() override { memory_->release(allocation_); }

    const DeviceAllocation& allocation() const { return allocation_; }

  private:
    std::shared_ptr<DeviceMemory> memory_;  // outlives the backend if tensors do
    DeviceAllocation allocation_;
};

// Part of a staging arena: `host` points at the bytes of `range`.
struct StagingSlice {
    BufferRange range;
    std::byte* host = nullptr;
};

// A host-visible buffer handed out front to back while one submission is recorded (token ids, uploads,
// writes) and reset once that submission has completed.
class StagingArena {
  public:
    StagingArena(std::shared_ptr<DeviceMemory> memory, VkDeviceSize capacity);
    ~StagingArena();
    StagingArena(const StagingArena&) = delete;
    StagingArena& operator=(const StagingArena&) = delete;

    // `bytes` bytes aligned for binding, or nullopt when the arena has no room left for them.
    std::optional<StagingSlice> take(VkDeviceSize bytes);
    void reset() { used_ = 0; }
    VkDeviceSize capacity() const { return allocation_.size; }

  private:
    std::shared_ptr<DeviceMemory> memory_;
    DeviceAllocation allocation_;
    VkDeviceSize alignment_;
    VkDeviceSize used_ = 0;
};

}  // namespace loom::gpu
