#include <QtTest>

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>
#include <vector>

#include "util/thread_pool.h"

using loom::ThreadPool;

class TestThreadPool : public QObject {
    Q_OBJECT
  private slots:
    void workersShareTheWork() {
        // With chunks that take a while, more than one thread takes some.
        ThreadPool pool(3);
        std::mutex mutex;
        std::set<std::thread::id> threads;
        pool.parallel_for(60, 1, [&](int64_t, int64_t) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            std::lock_guard lock(mutex);
            threads.insert(std::this_thread::get_id());
        });
        QVERIFY(threads.size() >= 2);
    }

    void parallelForCoversEachItemOnce() {
        for (int threads : {1, 2, 4}) {
            ThreadPool pool(threads);
            for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{12345}}) {
                std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
                pool.parallel_for(n, pool.grain_for(n), [&](int64_t begin, int64_t end) {
                    for (int64_t i = begin; i < end; ++i)
                        seen[static_cast<size_t>(i)]++;
                });
                for (auto& s : seen)
                    QCOMPARE(s.load(), 1);
            }
        }
    }

    void eachThreadWalksItsOwnShareInOrder() {
        // 8 chunks on 2 threads: the caller's share is chunks 0-3, the worker's 4-7. Each thread starts at
        // the front of its own share and takes its next chunks in order (a thread streaming weights keeps
        // reading one stretch of memory); only then does it take others' chunks, from their far ends.
        ThreadPool pool(2);
        std::mutex mutex;
        std::vector<int64_t> caller, worker;
        const auto caller_id = std::this_thread::get_id();
        pool.parallel_for(8, 1, [&](int64_t begin, int64_t) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            std::lock_guard lock(mutex);
            (std::this_thread::get_id() == caller_id ? caller : worker).push_back(begin);
        });
        const int64_t worker_first = pool.first_chunk_of(1, 8);
        QCOMPARE(worker_first, int64_t{4});
        QVERIFY(!caller.empty());
        QCOMPARE(caller.front(), pool.first_chunk_of(0, 8));
        for (size_t i = 1; i < caller.size() && caller[i] < worker_first; ++i)
            QCOMPARE(caller[i], caller[i - 1] + 1);
        if (!worker.empty()) {  // a worker that was not scheduled in time may take none
            QVERIFY(worker.front() >= worker_first);
            for (size_t i = 1; i < worker.size() && worker[i] >= worker_first; ++i)
                QCOMPARE(worker[i], worker[i - 1] + 1);
        }
        QCOMPARE(caller.size() + worker.size(), size_t{8});
    }

    void manySmallJobsInARow() {
        // The decode loop's pattern: thousands of tiny jobs back to back, with pauses long enough for the
        // workers to fall asleep in between some of them.
        ThreadPool pool(2);
        std::atomic<int64_t> total{0};
        for (int job = 0; job < 5000; ++job) {
            pool.parallel_for(64, 8, [&](int64_t begin, int64_t end) { total += end - begin; });
            if (job % 1000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        QCOMPARE(total.load(), int64_t{5000 * 64});
    }

    void consecutiveJobsNeverMix() {
        // The caller returns as soon as every chunk has returned, while workers may still be looking for
        // chunks: a late worker must run the next job's chunks with the next job's function and range, never
        // an old one. More threads than cores, so that workers are descheduled at any point; jobs of
        // different sizes and grains, each marking its own items.
        for (int threads : {2, 5}) {
            ThreadPool pool(threads);
            std::vector<int> marks(300);
            for (int job = 0; job < 3000; ++job) {
                const int64_t n = 1 + (job * 37) % 300, grain = 1 + job % 7;
                std::fill(marks.begin(), marks.end(), 0);
                pool.parallel_for(n, grain, [&marks, job, n](int64_t begin, int64_t end) {
                    if (begin < 0 || end > n || begin >= end) std::abort();  // another job's range
                    for (int64_t i = begin; i < end; ++i)
                        marks[static_cast<size_t>(i)] += job + 1;
                });
                for (int64_t i = 0; i < 300; ++i)
                    QCOMPARE(marks[static_cast<size_t>(i)], i < n ? job + 1 : 0);
            }
        }
    }

    void sharesSplitTheChunksInOrder() {
        // first_chunk_of is where dispatch starts each thread (CpuBackend::project warms from there): the
        // shares are contiguous, cover every chunk, and differ in size by at most one chunk.
        for (int threads : {1, 2, 3, 5}) {
            ThreadPool pool(threads);
            for (int64_t chunks : {int64_t{1}, int64_t{4}, int64_t{13}, int64_t{1000}}) {
                QCOMPARE(pool.first_chunk_of(0, chunks), int64_t{0});
                QCOMPARE(pool.first_chunk_of(threads, chunks), chunks);
                for (int slot = 0; slot < threads; ++slot) {
                    const int64_t size =
                        pool.first_chunk_of(slot + 1, chunks) - pool.first_chunk_of(slot, chunks);
                    QVERIFY(size == chunks / threads || size == chunks / threads + 1);
                }
            }
        }
    }

    void warmStretchesFreedMeanwhileDoNoHarm() {
        // Idle threads read their Warm stretch with prefetches, which never fault: the memory may be gone
        // by the time a thread gets to it (a model unloaded while a worker was descheduled). Here it is
        // unmapped while the workers are still reading it; with plain loads this test would crash.
        ThreadPool pool(3);
        const size_t bytes = size_t{4} << 20;
        for (int round = 0; round < 20; ++round) {
            void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            QVERIFY(memory != MAP_FAILED);
            const auto* begin = static_cast<const std::byte*>(memory);
            const ThreadPool::Warm warm[] = {{begin, bytes}, {begin + bytes / 3, bytes / 2}, {begin, bytes}};
            std::atomic<int64_t> total{0};
            pool.parallel_for(
                90, 1, [&](int64_t begin_item, int64_t end_item) { total += end_item - begin_item; }, warm);
            QCOMPARE(total.load(), int64_t{90});
            munmap(memory, bytes);
            std::this_thread::sleep_for(std::chrono::microseconds(200));  // the workers keep reading
            // A job naming no stretches leaves the unmapped ones in place.
            pool.parallel_for(90, 1,
                              [&](int64_t begin_item, int64_t end_item) { total += end_item - begin_item; });
            QCOMPARE(total.load(), int64_t{180});
        }
    }

    void grainIsRoundedToMultiple() {
        ThreadPool pool(2);
        QCOMPARE(pool.grain_for(1000, 4, 16) % 16, int64_t{0});
        QVERIFY(pool.grain_for(3, 4, 16) >= 16);
    }
};

QTEST_APPLESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
