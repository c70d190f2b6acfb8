#include "gpu/buffers.h"

#include <algorithm>

namespace loom::gpu {

StagingArena::StagingArena(std::shared_ptr<DeviceMemory> memory, VkDeviceSize capacity)
    : memory_(std::move(memory)),
      allocation_(memory_->allocate(MemoryUse::Upload, capacity)),
      alignment_(std::max<VkDeviceSize>(16, memory_->device().capabilities().binding_alignment)) {}

StagingArena::~StagingArena() {
    memory_->release(allocation_);
}

std::optional<StagingSlice> StagingArena::take(VkDeviceSize bytes) {
    VkDeviceSize start = (used_ + alignment_ - 1) / alignment_ * alignment_;
    VkDeviceSize size = (std::max<VkDeviceSize>(bytes, 1) + 3) / 4 * 4;  // whole words for kernels and copies
    if (start > allocation_.size || allocation_.size - start < size) return std::nullopt;
    used_ = start + size;
    StagingSlice slice;
    slice.range = {allocation_.buffer, allocation_.offset + start, size};
    slice.host = allocation_.mapped + start;
    return slice;
}

}  // namespace loom::gpu
