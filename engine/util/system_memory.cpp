#include "util/system_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>

#include "util/error.h"

namespace loom {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}  // namespace

uint64_t available_memory_bytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t value;
    std::string unit;
    while (meminfo >> key >> value >> unit)
        if (key == "MemAvailable:") return value * 1024;
    return 0;
}

StreamBuffer::StreamBuffer(size_t bytes) {
    // Aligned to 2 MiB when it can hold one, so that its whole 2 MiB stretches can be huge pages; the tail
    // past the last of them stays in small pages, so that no memory is spent beyond `bytes`.
    const size_t alignment = bytes >= kHugePage ? kHugePage : 64;
    size_ = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
    void* memory = nullptr;
    if (posix_memalign(&memory, alignment, size_) != 0) fail("out of memory allocating ", bytes, " bytes");
    data_ = static_cast<std::byte*>(memory);
#if defined(MADV_HUGEPAGE)
    // A request, before the first touch: where huge pages are off ("never"), the pages stay small.
    if (const size_t huge = size_ / kHugePage * kHugePage; huge > 0) madvise(data_, huge, MADV_HUGEPAGE);
#endif
}

StreamBuffer::~StreamBuffer() {
    std::free(data_);
}

StreamArena::Piece StreamArena::allocate(size_t bytes) {
    // 64 MiB blocks, or one just large enough for a larger array; untouched memory at a block's end costs
    // address space only.
    constexpr size_t kBlock = size_t{64} << 20;
    bytes = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
    std::lock_guard lock(mutex_);
    std::shared_ptr<StreamBuffer> block = block_.lock();
    if (!block || block->size() - used_ < bytes) {
        block =
            std::make_shared<StreamBuffer>(std::max(kBlock, (bytes + kHugePage - 1) / kHugePage * kHugePage));
        block_ = block;
        used_ = 0;
    }
    Piece piece{block, block->data() + used_};
    used_ += bytes;
    return piece;
}

std::string size_text(uint64_t bytes) {
    std::ostringstream out;
    out << std::fixed;
    auto in = [&](int shift) {
        return static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << shift);
    };
    if (bytes < (uint64_t{1} << 20))
        out << std::setprecision(0) << in(10) << " KiB";
    else if (bytes < (uint64_t{1} << 30))
        out << std::setprecision(1) << in(20) << " MiB";
    else
        out << std::setprecision(in(30) < 100 ? 2 : 0) << in(30) << " GiB";
    return out.str();
}

}  // namespace loom
