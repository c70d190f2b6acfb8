// A fixed set of worker threads for data-parallel kernels.
//
// Decoding one token calls the pool a few hundred times, each for tens of microseconds of work, so waking
// sleeping threads through the kernel on every call would cost a large share of the token. Workers therefore
// spin for a short while after each job and only then sleep on a futex (std::atomic::wait).
//
// Work is cut into chunks, and the chunks into one contiguous share per thread. Each thread works through
// its own share front to back, so that a thread streaming weights reads one unbroken stretch of memory: a
// thread that jumped to a chunk elsewhere would restart the hardware prefetchers and wait for memory at its
// first lines (about a microsecond a chunk, most of the time a small matrix takes beyond its bytes). A
// thread that has finished its share takes chunks from the far end of the others' shares, so the threads
// still end together, and the caller never waits for a worker that has not started: on a machine where
// another program holds a core, a descheduled worker would otherwise stall every call until the scheduler
// runs it again (milliseconds). The caller waits only for chunks that were actually taken.
//
// Handing over is what a small matrix's call costs beyond its bytes: between these cores one cache line
// takes about 0.27 us to move. So a worker touches the job only through the chunks it takes: it reads the
// job's description after it has taken a chunk (the caller cannot move on to another job before that chunk
// has returned), and the caller returns as soon as every chunk has returned, without asking the workers
// whether they have left. A worker still looking for chunks when the next job is posted simply takes
// chunks of the new job. (Waiting for the workers to leave took two more line transfers a call: 1.4 us
// from the last chunk to the caller's return, about 2 % of a token of a 0.5B model.)
//
// A thread waiting, for the others' last chunks or for the next job while the caller works alone, can
// still use the memory bus: a job may name for each thread a stretch of memory to read into its caches
// meanwhile (Warm), such as the start of its share of the next matrix product (CpuBackend::project).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
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

    // Memory that a thread reads into its caches while it has nothing to run, from `begin` on, a line at a
    // time (software prefetches: they never fault, so a stretch that is freed meanwhile does no harm).
    struct Warm {
        const std::byte* begin = nullptr;
        size_t bytes = 0;
    };

    // Splits [0, n) into chunks of at most `grain` items and calls fn(begin, end) once for each chunk, on
    // whichever thread takes it (the caller takes chunks too); each thread starts on its own contiguous
    // share of the chunks (first_chunk_of), in order. Returns when every chunk has returned. Not reentrant:
    // fn must not call parallel_for on the same pool.
    //
    // `warm`, when not empty, holds one stretch per thread (index = slot; 0 is the caller): what that thread
    // reads once it has run out of chunks, until a later job names other stretches (jobs without them leave
    // them as they are).
    template <class Fn>
    void parallel_for(int64_t n, int64_t grain, Fn&& fn, std::span<const Warm> warm = {}) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        if (size() == 1 || n <= grain) {
            fn(int64_t{0}, n);
            return;
        }
        Job job{[](void* context, int64_t begin, int64_t end) {
                    (*static_cast<std::remove_reference_t<Fn>*>(context))(begin, end);
                },
                const_cast<void*>(static_cast<const void*>(&fn)), n, grain};
        dispatch(job, warm);
    }

    // A grain that gives each thread about `chunks_per_thread` chunks of [0, n), rounded up to `multiple`.
    int64_t grain_for(int64_t n, int chunks_per_thread = 4, int64_t multiple = 1) const;

    // The first chunk of thread `slot`'s share when a job has `chunks` chunks.
    int64_t first_chunk_of(int slot, int64_t chunks) const { return chunks * slot / size(); }

  private:
    struct Job {
        void (*call)(void* context, int64_t begin, int64_t end);
        void* context;
        int64_t n;
        int64_t grain;
    };
    // The chunks of one thread's share not yet handed out: [front, back) packed in one word, so that its
    // owner (taking the front) and the others (taking the back) can never take the same chunk. Its Warm
    // stretch shares the line, which the caller writes when it posts a job anyway. (The two ends are read
    // without a lock: a thread may read the begin of one stretch with the end of the next, and prefetch a
    // few lines in vain until it notices.)
    struct alignas(64) Share {
        std::atomic<uint64_t> chunks{0};  // front in the low 32 bits, back in the high 32
        std::atomic<const std::byte*> warm_begin{nullptr}, warm_end{nullptr};
    };
    // How far a thread has read its Warm stretch.
    struct WarmCursor {
        const std::byte* stretch = nullptr;  // the begin of the stretch being read
        const std::byte* next = nullptr;
    };
    void dispatch(Job job, std::span<const Warm> warm);
    void take_chunks(int slot);  // runs chunks of the current job until none are left; slot 0 is the caller
    // Prefetches the next line of the slot's Warm stretch; false when there is none left to read.
    bool warm_step(int slot, WarmCursor& cursor);
    void worker_loop(int slot);

    std::vector<std::thread> workers_;
    std::vector<Share> shares_;         // one per thread, indexed by slot
    Job job_{};                         // read only by a thread holding one of its chunks (see above)
    std::atomic<int64_t> finished_{0};  // items of the current job whose chunk has returned
    std::atomic<uint32_t> epoch_{0};    // incremented once per job; workers watch it
    std::atomic<int> sleeping_{0};      // workers blocked in epoch_.wait()
    std::atomic<bool> stopping_{false};
};

}  // namespace loom
