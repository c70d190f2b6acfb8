#include "gpu/range_allocator.h"

#include <algorithm>
#include <iterator>

#include "util/error.h"

namespace loom::gpu {

RangeAllocator::RangeAllocator(uint64_t capacity) : capacity_(capacity) {
    if (capacity_ > 0) free_.emplace(0, capacity_);
}

std::optional<uint64_t> RangeAllocator::allocate(uint64_t size, uint64_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        fail("allocation alignment ", alignment, " is not a power of two");
    uint64_t length = size == 0 ? 1 : size;
    auto best = free_.end();
    uint64_t best_size = 0;
    for (auto it = free_.begin(); it != free_.end(); ++it) {
        auto [start, end] = *it;
        uint64_t aligned = (start + alignment - 1) & ~(alignment - 1);
        if (aligned < start || aligned > end || end - aligned < length)
            continue;  // (aligned < start: overflow)
        if (best == free_.end() || end - start < best_size) {
            best = it;
            best_size = end - start;
        }
    }
    if (best == free_.end()) return std::nullopt;

    auto [start, end] = *best;
    free_.erase(best);
    uint64_t offset = (start + alignment - 1) & ~(alignment - 1);
    // The alignment padding before the range and the rest after it stay free.
    if (offset > start) free_.emplace(start, offset);
    if (offset + length < end) free_.emplace(offset + length, end);
    used_.emplace(offset, Used{offset + length, size});
    used_bytes_ += size;
    return offset;
}

void RangeAllocator::free(uint64_t offset) {
    auto it = used_.find(offset);
    if (it == used_.end())
        fail("freeing memory at offset ", offset, " that was not allocated (or was freed twice)");
    uint64_t end = it->second.end;
    used_bytes_ -= it->second.size;
    used_.erase(it);
    insert_free(offset, end);
}

void RangeAllocator::insert_free(uint64_t start, uint64_t end) {
    auto next = free_.lower_bound(start);
    if (next != free_.begin()) {
        auto previous = std::prev(next);
        if (previous->second == start) {  // joins the range before it
            start = previous->first;
            free_.erase(previous);
        }
    }
    if (next != free_.end() && next->first == end) {  // and the one after it
        end = next->second;
        free_.erase(next);
    }
    free_.emplace(start, end);
}

uint64_t RangeAllocator::free_bytes() const {
    uint64_t total = 0;
    for (auto [start, end] : free_)
        total += end - start;
    return total;
}

uint64_t RangeAllocator::largest_free_range() const {
    uint64_t largest = 0;
    for (auto [start, end] : free_)
        largest = std::max(largest, end - start);
    return largest;
}

}  // namespace loom::gpu
