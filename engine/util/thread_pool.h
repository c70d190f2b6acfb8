// A fixed set of worker threads for data-parallel kernels.
//
// Decoding one token calls the pool a few hundred times, each for tens of microseconds of work, so waking
// sleeping threads through the kernel on every call would cost a large share of the token. Workers therefore
// spin for a short while after each job and only then sleep on a futex (std::atomic::wait).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace loom {

class ThreadPool {
  public:
    // `threads` counts the calling thread: ThreadPool(1) starts no workers and runs everything inline.
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()) + 1; }

    // Calls fn(thread_index, thread_count) once on every thread, the caller being thread 0, and returns
    // when all calls have returned. Not reentrant: fn must not call run() on the same pool.
    template <class Fn>
    void run(Fn&& fn) {
        Job job{[](void* context, int thread, int count) {
                    (*static_cast<std::remove_reference_t<Fn>*>(context))(thread, count);
                },
                const_cast<void*>(static_cast<const void*>(&fn))};
        dispatch(job);
    }

    // Splits [0, n) into chunks of at most `grain` items that threads take in turn, and calls
    // fn(begin, end) for each chunk. Dynamic hand-out keeps all threads busy on a noisy machine.
    template <class Fn>
    void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        if (size() == 1 || n <= grain) {
            fn(int64_t{0}, n);
            return;
        }
        std::atomic<int64_t> next{0};
        run([&](int, int) {
            for (;;) {
                int64_t begin = next.fetch_add(grain, std::memory_order_relaxed);
                if (begin >= n) break;
                fn(begin, begin + grain < n ? begin + grain : n);
            }
        });
    }

    // A grain that gives each thread about `chunks_per_thread` chunks of [0, n), rounded up to `multiple`.
    int64_t grain_for(int64_t n, int chunks_per_thread = 4, int64_t multiple = 1) const;

  private:
    struct Job {
        void (*call)(void* context, int thread, int count);
        void* context;
    };
    void dispatch(const Job& job);
    void worker_loop(int index);

    std::vector<std::thread> workers_;
    Job job_{};
    std::atomic<uint32_t> epoch_{0};  // incremented once per job; workers watch it
    std::atomic<int> unfinished_{0};  // workers still running the current job
    std::atomic<int> sleeping_{0};    // workers blocked in epoch_.wait()
    std::atomic<bool> stopping_{false};
};

}  // namespace loom
