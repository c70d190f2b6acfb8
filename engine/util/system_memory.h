// How much memory this machine can give the program, and memory for large arrays that are streamed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace loom {

// Memory the system could give us now (Linux's MemAvailable: free memory plus caches it can drop), in
// bytes; 0 if unknown.
uint64_t available_memory_bytes();

// "512 KiB", "12.5 MiB", "3.25 GiB": sizes for messages.
std::string size_text(uint64_t bytes);

// Uninitialised memory, 64-byte aligned; its whole 2 MiB stretches in 2 MiB pages where the system grants
// them (transparent huge pages, asked for with madvise). Arrays read from end to end, as weights are once per
// decoded token, go faster in them: with 4 KiB pages every 4 KiB costs a TLB miss and stops the hardware
// prefetchers at the page's end (13-16 % of a quantized matrix product's speed, measured on the
// development machines). Throws Error when the memory cannot be had.
class StreamBuffer {
  public:
    explicit StreamBuffer(size_t bytes);
    ~StreamBuffer();
    StreamBuffer(const StreamBuffer&) = delete;
    StreamBuffer& operator=(const StreamBuffer&) = delete;

    std::byte* data() const { return data_; }
    size_t size() const { return size_; }  // at least the bytes asked for

  private:
    std::byte* data_ = nullptr;
    size_t size_ = 0;
};

// Memory for many arrays that are kept and read together, such as a model's weights: each is carved out of a
// large StreamBuffer right after the one before. Small arrays get 2 MiB pages too (one StreamBuffer each
// would leave every array under 2 MiB in small pages: a model's attention matrices streamed 17 % slower so),
// and arrays allocated in the order they are read lie one after another, so that a reader's prefetching runs
// on from one into the next. A piece keeps its block alive; a block's memory is given back when its last
// piece goes, and is not reused before. Thread-safe.
class StreamArena {
  public:
    struct Piece {
        std::shared_ptr<StreamBuffer> block;
        std::byte* data = nullptr;  // 64-byte aligned, uninitialised
    };
    Piece allocate(size_t bytes);

  private:
    std::mutex mutex_;
    std::weak_ptr<StreamBuffer> block_;  // the block being filled, while any piece of it lives
    size_t used_ = 0;                    // its bytes handed out
};

}  // namespace loom
