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

// How far ahead of their position the one-token kernels ask for the weights with prefetch instructions, in
// bytes; 0 when they leave it to the hardware prefetchers. 4 KiB unless the environment variable
// LOOM_PREFETCH=<bytes> (0 = off, at most 64 KiB) says otherwise. How much it helps depends on the machine
// and the moment: on the Intel Xeon of one development machine it streamed F16 rows 1.3x and quantized rows
// up to 1.2x as fast; on the AMD EPYC (Zen 5) of another, with its memory fast, the light kernels (F16, BF16,
// Q8_0, Q4_0) went up to 1.16x as fast without it, with its memory slower up to 1.14x slower, and Q4_K_M
// lost up to 20 % without it (README.md, Speed, has the figures). So the default stays. Read once; throws
// Error when the variable holds anything else (CpuBackend reads it when made, so the error comes from there).
size_t prefetch_ahead_bytes();

inline constexpr size_t kDefaultPrefetchAheadBytes = 4096;
inline constexpr size_t kMaxPrefetchAheadBytes = 65536;  // further, lines would leave L1 before their turn
// The distance LOOM_PREFETCH's text asks for: kDefaultPrefetchAheadBytes when it is null or empty; throws
// Error when it is not a number of bytes from 0 to kMaxPrefetchAheadBytes.
size_t prefetch_distance(const char* text);

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
