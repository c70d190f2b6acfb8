// Suballocation of one large block of memory: hands out aligned ranges [offset, offset + size) of a
// capacity and takes them back, merging free neighbours so the block does not fragment into unusable
// pieces. Pure bookkeeping with no Vulkan in it; device_memory.h puts it over VkDeviceMemory blocks.
//
// Allocation is best-fit (the smallest free range that holds the request), which keeps large free ranges
// whole for large tensors. Costs are O(free ranges) per allocation and O(log n) per free; a model has a few
// hundred to a few thousand tensors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace loom::gpu {

class RangeAllocator {
  public:
    explicit RangeAllocator(uint64_t capacity);

    // The offset of a new range of `size` bytes, a multiple of `alignment` (a power of two), or nullopt
    // when no free range can hold it. A size of 0 is treated as 1 so every range has a distinct offset.
    std::optional<uint64_t> allocate(uint64_t size, uint64_t alignment);
    // Returns the range that allocate() gave at `offset`. Throws Error for an offset it did not give.
    void free(uint64_t offset);

    uint64_t capacity() const { return capacity_; }
    uint64_t used_bytes() const { return used_bytes_; }  // the sizes asked for
    uint64_t free_bytes() const;                         // total of the free ranges
    uint64_t largest_free_range() const;
    size_t free_range_count() const { return free_.size(); }
    size_t allocation_count() const { return used_.size(); }
    bool empty() const { return used_.empty(); }

  private:
    struct Used {
        uint64_t end;   // of the occupied range [offset, end)
        uint64_t size;  // as asked for
    };
    void insert_free(uint64_t start, uint64_t end);  // merges with the neighbours

    uint64_t capacity_;
    uint64_t used_bytes_ = 0;
    std::map<uint64_t, uint64_t> free_;  // start -> end of each free range, never adjacent to another
    std::map<uint64_t, Used> used_;      // offset -> the range it occupies
};

}  // namespace loom::gpu
