#include "util/bandwidth.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace loom {

double measure_memory_bandwidth(ThreadPool& pool) {
    // 3 arrays of 256 MB: far beyond any last-level cache.
    const int64_t n = int64_t{64} << 20;
    std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n), 1.0f),
        c(static_cast<size_t>(n), 2.0f);
    const int64_t grain = pool.grain_for(n, 1, 4096);
    auto triad = [&] {
        pool.parallel_for(n, grain, [&](int64_t begin, int64_t end) {
            float* pa = a.data();
            const float* pb = b.data();
            const float* pc = c.data();
            for (int64_t i = begin; i < end; ++i)
                pa[i] = pb[i] + 3.0f * pc[i];
        });
    };
    triad();  // touch every page first
    double best = 0;
    for (int repeat = 0; repeat < 4; ++repeat) {
        auto start = std::chrono::steady_clock::now();
        triad();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::max(best, 3.0 * static_cast<double>(n) * sizeof(float) / seconds);
    }
    return best;
}

}  // namespace loom
