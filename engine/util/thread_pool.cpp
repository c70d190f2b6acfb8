#include "util/thread_pool.h"

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

ThreadPool::ThreadPool(int threads) {
    if (threads < 1) threads = 1;
    workers_.reserve(static_cast<size_t>(threads - 1));
    for (int i = 1; i < threads; ++i)
        workers_.emplace_back([this] { worker_loop(); });
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

void ThreadPool::take_chunks() {
    const Job job = job_;
    for (;;) {
        int64_t begin = next_.fetch_add(job.grain, std::memory_order_relaxed);
        if (begin >= job.n) return;
        int64_t end = begin + job.grain < job.n ? begin + job.grain : job.n;
        job.call(job.context, begin, end);
        finished_.fetch_add(end - begin, std::memory_order_release);
    }
}

void ThreadPool::dispatch(const Job& job) {
    job_ = job;
    next_.store(0, std::memory_order_relaxed);
    finished_.store(0, std::memory_order_relaxed);
    // Sequentially consistent from here on: open_/inside_ and epoch_/sleeping_ are each a pair that two
    // threads write and read in opposite orders (see worker_loop).
    open_.store(true);
    epoch_.fetch_add(1);
    if (sleeping_.load() > 0) epoch_.notify_all();

    take_chunks();
    while (finished_.load(std::memory_order_acquire) < job.n)
        LOOM_CPU_RELAX();  // chunks others took
    // Close the job, then wait for any worker that joined it: it may still be reading job_, which the next
    // dispatch overwrites. A worker that has not joined yet will find the job closed and stay out.
    open_.store(false);
    while (inside_.load() != 0)
        LOOM_CPU_RELAX();
}

void ThreadPool::worker_loop() {
    uint32_t seen = 0;  // the epoch when the pool was built
    for (;;) {
        uint32_t now = seen;
        for (int spin = 0; spin < kSpinIterations; ++spin) {
            now = epoch_.load(std::memory_order_acquire);
            if (now != seen) break;
            LOOM_CPU_RELAX();
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
        inside_.fetch_add(1);
        if (open_.load()) take_chunks();
        inside_.fetch_sub(1);
    }
}

}  // namespace loom
