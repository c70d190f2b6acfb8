#include <QtTest>

#include <atomic>
#include <numeric>
#include <vector>

#include "util/thread_pool.h"

using loom::ThreadPool;

class TestThreadPool : public QObject {
    Q_OBJECT
  private slots:
    void runsEveryThreadOnce() {
        ThreadPool pool(3);
        std::vector<std::atomic<int>> calls(3);
        pool.run([&](int thread, int count) {
            QCOMPARE(count, 3);
            calls[static_cast<size_t>(thread)]++;
        });
        for (auto& c : calls)
            QCOMPARE(c.load(), 1);
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

    void grainIsRoundedToMultiple() {
        ThreadPool pool(2);
        QCOMPARE(pool.grain_for(1000, 4, 16) % 16, int64_t{0});
        QVERIFY(pool.grain_for(3, 4, 16) >= 16);
    }
};

QTEST_APPLESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
