#include "util/thread_pool.h"

#include "util/prefetch.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LOOM_CPU_RELAX() _mm_pause()
#else
#define LOOM_CPU_RELAX() std::this_thread::yield()
#endif

namespace loom {

namespace {
// About 50-100 microseconds of spinning before a worker goes to sleep: longer than the gap between two
// kernels of one token, much shorter than a user's pause.
constexpr int kSpinIterations = 20000;
}  // namespace

ThreadPool::ThreadPool(int threads) : shares_(static_cast<size_t>(threads < 1 ? 1 : threads)) {
    workers_.reserve(shares_.size() - 1);
    for (int slot = 1; slot < static_cast<int>(shares_.size()); ++slot)
        workers_.emplace_back([this, slot] { worker_loop(slot); });
}

ThreadPool::~ThreadPool() {
    stopping_.store(true);
    epoch_.fetch_add(1);
    epoch_.notify_all();
    for (auto& worker : workers_)
        worker.join();
}

int64_t ThreadPool::grain_for(int64_t n, int chunks_per_thread, int64_t multiple) const {
    int64_t chunks = static_cast<int64_t>(size()) * chunks_per_thread;
    int64_t grain = (n + chunks - 1) / chunks;
    grain = (grain + multiple - 1) / multiple * multiple;
    return grain < multiple ? multiple : grain;
}

namespace {

constexpr uint64_t kBack = uint64_t{1} << 32;  // one chunk at the back of a packed share

// Takes the first chunk of a share (its owner) or the last (another thread); -1 when it is empty. Taking a
// chunk acquires what dispatch released with the share: the job it belongs to.
int64_t take_front(std::atomic<uint64_t>& share) {
    uint64_t range = share.load(std::memory_order_relaxed);
    while ((range & 0xffffffff) < (range >> 32))
        if (share.compare_exchange_weak(range, range + 1, std::memory_order_acquire,
                                        std::memory_order_relaxed))
            return static_cast<int64_t>(range & 0xffffffff);
    return -1;
}

int64_t take_back(std::atomic<uint64_t>& share) {
    uint64_t range = share.load(std::memory_order_relaxed);
    while ((range & 0xffffffff) < (range >> 32))
        if (share.compare_exchange_weak(range, range - kBack, std::memory_order_acquire,
                                        std::memory_order_relaxed))
            return static_cast<int64_t>(range >> 32) - 1;
    return -1;
}

}  // namespace

void ThreadPool::take_chunks(int slot) {
    auto run = [&](int64_t chunk) {
        // The job is read only now that one of its chunks is held: until that chunk returns, the caller
        // cannot post another. (A chunk taken here may belong to a newer job than the one this thread woke
        // for: then it is that job's.)
        const Job job = job_;
        const int64_t begin = chunk * job.grain;
        const int64_t end = begin + job.grain < job.n ? begin + job.grain : job.n;
        job.call(job.context, begin, end);
        finished_.fetch_add(end - begin, std::memory_order_release);
    };
    for (int64_t chunk; (chunk = take_front(shares_[static_cast<size_t>(slot)].chunks)) >= 0;)
        run(chunk);
    // Then help the others, from the far ends of their shares (where their owners will come last).
    const int threads = size();
    for (int i = 1; i < threads; ++i) {
        Share& other = shares_[static_cast<size_t>((slot + i) % threads)];
        for (int64_t chunk; (chunk = take_back(other.chunks)) >= 0;)
            run(chunk);
    }
}

bool ThreadPool::warm_step(int slot, WarmCursor& cursor) {
    const Share& share = shares_[static_cast<size_t>(slot)];
    const std::byte* begin = share.warm_begin.load(std::memory_order_relaxed);
    if (begin != cursor.stretch) cursor = {begin, begin};
    if (cursor.next == nullptr || cursor.next >= share.warm_end.load(std::memory_order_relaxed)) return false;
    __builtin_prefetch(cursor.next, 0, 3);
    cursor.next += kCacheLineBytes;
    return true;
}

void ThreadPool::dispatch(Job job, std::span<const Warm> warm) {
    // Chunk numbers are 32-bit in a share; no caller comes near, but a grain too small is made larger.
    const int64_t max_chunks = 0xffffffff;
    if ((job.n + job.grain - 1) / job.grain > max_chunks) job.grain = (job.n + max_chunks - 1) / max_chunks;
    const int64_t chunks = (job.n + job.grain - 1) / job.grain;
    const int64_t threads = size();
    // Every share of the previous job is empty (all its chunks returned), so no thread can hold a chunk,
    // and none reads job_, until the shares below are stored: each store releases job_ and finished_.
    job_ = job;
    finished_.store(0, std::memory_order_relaxed);
    for (int slot = 0; slot < threads; ++slot) {
        Share& share = shares_[static_cast<size_t>(slot)];
        if (static_cast<size_t>(slot) < warm.size()) {
            const Warm& stretch = warm[static_cast<size_t>(slot)];
            share.warm_begin.store(stretch.begin, std::memory_order_relaxed);
            share.warm_end.store(stretch.begin ? stretch.begin + stretch.bytes : nullptr,
                                 std::memory_order_relaxed);
        }
        const auto front = static_cast<uint64_t>(first_chunk_of(slot, chunks));
        const auto back = static_cast<uint64_t>(first_chunk_of(slot + 1, chunks));
        share.chunks.store(front | back << 32, std::memory_order_release);
    }
    // Sequentially consistent: epoch_ and sleeping_ are a pair that two threads write and read in opposite
    // orders (see worker_loop).
    epoch_.fetch_add(1);
    if (sleeping_.load() > 0) epoch_.notify_all();

    take_chunks(0);
    WarmCursor cursor;
    while (finished_.load(std::memory_order_acquire) < job.n)  // chunks others took
        if (!warm_step(0, cursor)) LOOM_CPU_RELAX();
}

void ThreadPool::worker_loop(int slot) {
    uint32_t seen = 0;  // the epoch when the pool was built
    WarmCursor cursor;  // kept across jobs: one that names no stretch leaves this thread's as it was
    for (;;) {
        uint32_t now = seen;
        for (int spin = 0; spin < kSpinIterations; ++spin) {
            now = epoch_.load(std::memory_order_acquire);
            if (now != seen) break;
            if (!warm_step(slot, cursor)) LOOM_CPU_RELAX();
        }
        if (now == seen) {
            sleeping_.fetch_add(1);
            // Re-check after announcing sleep so a dispatch between the two cannot be missed.
            while ((now = epoch_.load()) == seen)
                epoch_.wait(seen);
            sleeping_.fetch_sub(1);
        }
        seen = now;
        if (stopping_.load()) return;
        take_chunks(slot);
    }
}

}  // namespace loom
