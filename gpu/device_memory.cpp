#include "gpu/device_memory.h"

#include <algorithm>
#include <bit>
#include <iomanip>
#include <limits>
#include <sstream>

#include "util/error.h"

namespace loom::gpu {

namespace {

// Blocks for tensors are this large unless one tensor needs more; staging memory gets exact blocks.
constexpr VkDeviceSize kDeviceBlockBytes = VkDeviceSize{256} << 20;
// Every range starts and ends on this boundary (at least), so kernels may read whole 32-bit words and
// transfers may fill or copy whole words.
constexpr VkDeviceSize kMinAlignment = 16;

constexpr VkBufferUsageFlags kBufferUsage =
    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

const char* use_name(MemoryUse use) {
    switch (use) {
        case MemoryUse::Device:
            return "device";
        case MemoryUse::Upload:
            return "upload staging";
        case MemoryUse::Readback:
            return "readback";
    }
    return "?";
}

VkDeviceSize round_up(VkDeviceSize value, VkDeviceSize alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

struct MemoryBlock {
    MemoryUse use;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceSize size = 0;
    RangeAllocator ranges;
    std::byte* mapped = nullptr;

    MemoryBlock(MemoryUse use, VkDeviceSize size) : use(use), size(size), ranges(size) {}
};

DeviceMemory::DeviceMemory(std::shared_ptr<Device> device, uint64_t device_limit)
    : device_(std::move(device)), device_limit_(device_limit) {
    alignment_ = std::max(kMinAlignment, std::bit_ceil(device_->capabilities().binding_alignment));
    // Which memory types can back our buffers: ask with a small buffer of the same usage.
    const DeviceFunctions& vk = device_->api();
    VkBufferCreateInfo create{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    create.size = 4096;
    create.usage = kBufferUsage;
    create.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer probe = VK_NULL_HANDLE;
    check(vk.CreateBuffer(device_->handle(), &create, nullptr, &probe), "creating a buffer");
    VkMemoryRequirements requirements;
    vk.GetBufferMemoryRequirements(device_->handle(), probe, &requirements);
    vk.DestroyBuffer(device_->handle(), probe, nullptr);
    for (MemoryUse use : {MemoryUse::Device, MemoryUse::Upload, MemoryUse::Readback})
        memory_types_[static_cast<size_t>(use)] = choose_memory_type(use, requirements.memoryTypeBits);
}

DeviceMemory::~DeviceMemory() {
    const DeviceFunctions& vk = device_->api();
    vk.DeviceWaitIdle(device_->handle());
    for (auto& block : blocks_) {
        vk.DestroyBuffer(device_->handle(), block->buffer, nullptr);
        vk.FreeMemory(device_->handle(), block->memory, nullptr);  // unmaps too
    }
}

uint32_t DeviceMemory::choose_memory_type(MemoryUse use, uint32_t allowed_types) const {
    VkMemoryPropertyFlags required = 0, preferred = 0, avoided = 0;
    switch (use) {
        case MemoryUse::Device:
            required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
            avoided = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;  // keep the small host-visible VRAM window free
            break;
        case MemoryUse::Upload:
            required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
            avoided = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
            break;
        case MemoryUse::Readback:
            required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
            preferred = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
            break;
    }
    const VkPhysicalDeviceMemoryProperties& memory = device_->memory_properties();
    int best = -1, best_score = std::numeric_limits<int>::min();
    for (uint32_t t = 0; t < memory.memoryTypeCount; ++t) {
        VkMemoryPropertyFlags flags = memory.memoryTypes[t].propertyFlags;
        if (!(allowed_types & (1u << t)) || (flags & required) != required) continue;
        int score = std::popcount(flags & preferred) * 4 - std::popcount(flags & avoided);
        if (score > best_score) {
            best = static_cast<int>(t);
            best_score = score;
        }
    }
    if (best < 0)
        fail("the Vulkan device '", device_->physical().info.name, "' has no memory type for ", use_name(use),
             " memory");
    return static_cast<uint32_t>(best);
}

uint32_t DeviceMemory::heap(MemoryUse use) const {
    return device_->memory_properties().memoryTypes[memory_types_[static_cast<size_t>(use)]].heapIndex;
}

uint64_t DeviceMemory::room_for_new_device_blocks() const {
    if (device_limit_ == 0) return UINT64_MAX;
    uint64_t blocks = allocated_bytes(MemoryUse::Device);
    return device_limit_ > blocks ? device_limit_ - blocks : 0;
}

uint64_t DeviceMemory::device_room() const {
    if (device_limit_ == 0) return UINT64_MAX;
    return room_for_new_device_blocks() + unused_bytes(MemoryUse::Device);
}

uint64_t DeviceMemory::unused_bytes(MemoryUse use) const {
    uint64_t total = 0;
    for (const auto& block : blocks_)
        if (block->use == use) total += block->ranges.free_bytes();
    return total;
}

uint64_t DeviceMemory::allocated_bytes(MemoryUse use) const {
    uint64_t total = 0;
    for (const auto& block : blocks_)
        if (block->use == use) total += block->size;
    return total;
}

MemoryBlock& DeviceMemory::new_block(MemoryUse use, VkDeviceSize size) {
    const DeviceFunctions& vk = device_->api();
    VkDevice device = device_->handle();
    auto block = std::make_unique<MemoryBlock>(use, size);
    VkBufferCreateInfo create{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    create.size = size;
    create.usage = kBufferUsage;
    create.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    check(vk.CreateBuffer(device, &create, nullptr, &block->buffer), "creating a buffer");
    VkMemoryRequirements requirements;
    vk.GetBufferMemoryRequirements(device, block->buffer, &requirements);
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.allocationSize = requirements.size;
    allocate.memoryTypeIndex = memory_types_[static_cast<size_t>(use)];
    VkResult result = vk.AllocateMemory(device, &allocate, nullptr, &block->memory);
    if (result != VK_SUCCESS) {
        vk.DestroyBuffer(device, block->buffer, nullptr);
        if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY) {
            Device::HeapSpace space = device_->heap_space(heap(use), allocated_bytes(use));
            fail_device("the GPU '", device_->physical().info.name, "' is out of memory: ", size_text(size),
                        " more of ", use_name(use), " memory were needed with ",
                        size_text(allocated_bytes(use)), " in use (", size_text(space.size),
                        " in all). Use a smaller model or context, or the CPU backend");
        }
        check(result, "allocating device memory");
    }
    result = vk.BindBufferMemory(device, block->buffer, block->memory, 0);
    if (result == VK_SUCCESS && use != MemoryUse::Device) {
        void* mapped = nullptr;
        result = vk.MapMemory(device, block->memory, 0, VK_WHOLE_SIZE, 0, &mapped);
        block->mapped = static_cast<std::byte*>(mapped);
    }
    if (result != VK_SUCCESS) {
        vk.DestroyBuffer(device, block->buffer, nullptr);
        vk.FreeMemory(device, block->memory, nullptr);
        check(result, "setting up device memory");
    }
    blocks_.push_back(std::move(block));
    return *blocks_.back();
}

DeviceAllocation DeviceMemory::allocate(MemoryUse use, VkDeviceSize size) {
    VkDeviceSize rounded = round_up(std::max<VkDeviceSize>(size, 1), alignment_);
    const DeviceCapabilities& caps = device_->capabilities();
    if (rounded > caps.max_allocation_bytes)
        fail_device("a tensor of ", size_text(size), " exceeds the largest allocation the GPU '",
                    device_->physical().info.name, "' allows (", size_text(caps.max_allocation_bytes), ")");

    MemoryBlock* chosen = nullptr;
    std::optional<uint64_t> offset;
    for (auto& block : blocks_) {
        if (block->use != use) continue;
        if ((offset = block->ranges.allocate(rounded, alignment_))) {
            chosen = block.get();
            break;
        }
    }
    if (!chosen) {
        VkDeviceSize block_size = rounded;
        if (use == MemoryUse::Device) {
            if (rounded > room_for_new_device_blocks())
                fail_device("Loom may use ", size_text(device_limit_),
                            " of the GPU's memory (its memory limit setting): ", size_text(size),
                            " more were needed with ", size_text(allocated_bytes(MemoryUse::Device)),
                            " in use. Raise the limit, use a smaller model or context, or the CPU backend");
            block_size = std::max(rounded, std::min({kDeviceBlockBytes, caps.max_allocation_bytes,
                                                     room_for_new_device_blocks()}));
        }
        try {
            chosen = &new_block(use, block_size);
        } catch (const Error&) {
            if (block_size == rounded) throw;
            chosen = &new_block(use, rounded);  // no room for a whole block: try one just big enough
        }
        offset = chosen->ranges.allocate(rounded, alignment_);
    }
    DeviceAllocation allocation;
    allocation.block = chosen;
    allocation.buffer = chosen->buffer;
    allocation.offset = *offset;
    allocation.size = rounded;
    if (chosen->mapped) allocation.mapped = chosen->mapped + *offset;
    return allocation;
}

void DeviceMemory::release(const DeviceAllocation& allocation) {
    if (!allocation) return;
    if (completed_serial_ >= recording_serial_)
        free_now(allocation);
    else
        deferred_.push_back({allocation, recording_serial_});
}

void DeviceMemory::set_completed_serial(uint64_t serial) {
    completed_serial_ = serial;
    std::erase_if(deferred_, [&](const Deferred& d) {
        if (d.serial > completed_serial_) return false;
        free_now(d.allocation);
        return true;
    });
}

void DeviceMemory::free_now(const DeviceAllocation& allocation) {
    MemoryBlock* block = allocation.block;
    block->ranges.free(allocation.offset);
    if (!block->ranges.empty()) return;
    // An empty block goes back to the driver, so that unloading a model returns its memory, except for one
    // spare block of the usual size per use: tensors freed and made again every forward pass should not
    // cost an allocation each.
    bool another_empty =
        std::any_of(blocks_.begin(), blocks_.end(), [&](const std::unique_ptr<MemoryBlock>& b) {
            return b.get() != block && b->use == block->use && b->ranges.empty();
        });
    if (block->size <= kDeviceBlockBytes && !another_empty) return;
    const DeviceFunctions& vk = device_->api();
    vk.DestroyBuffer(device_->handle(), block->buffer, nullptr);
    vk.FreeMemory(device_->handle(), block->memory, nullptr);
    std::erase_if(blocks_, [&](const std::unique_ptr<MemoryBlock>& b) { return b.get() == block; });
}

}  // namespace loom::gpu
