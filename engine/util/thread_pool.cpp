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
        workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    stopping_.store(true, std::memory_order_relaxed);
    epoch_.fetch_add(1, std::memory_order_release);
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

void ThreadPool::dispatch(const Job& job) {
    int count = size();
    if (count == 1) {
        job.call(job.context, 0, 1);
        return;
    }
    job_ = job;
    unfinished_.store(count - 1, std::memory_order_relaxed);
    // Sequentially consistent with the worker's sleeping_/epoch_ pair: either it sees the new epoch, or we
    // see it asleep and wake it.
    epoch_.fetch_add(1);
    if (sleeping_.load() > 0) epoch_.notify_all();
    job.call(job.context, 0, count);
    while (unfinished_.load(std::memory_order_acquire) != 0)
        LOOM_CPU_RELAX();
}

void ThreadPool::worker_loop(int index) {
    uint32_t seen =
        0;  // the epoch when the pool was built: a job dispatched before this thread started still runs
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
        if (stopping_.load(std::memory_order_relaxed)) return;
        job_.call(job_.context, index, size());
        unfinished_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

}  // namespace loom
