#include "util/bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <numeric>

#include "util/system_memory.h"

namespace loom {

double measure_memory_bandwidth(ThreadPool& pool) {
    // 1 GiB: far beyond any last-level cache.
    const int64_t n = int64_t{1} << 27;
    // In the same kind of memory as the CPU backend's weights (2 MiB pages where granted).
    StreamBuffer buffer(static_cast<size_t>(n) * sizeof(uint64_t));
    uint64_t* data = reinterpret_cast<uint64_t*>(buffer.data());
    std::iota(data, data + n, uint64_t{1});  // touches every page before the timing
    const int64_t grain = pool.grain_for(n, 1, 4096);
    std::atomic<uint64_t> folded{0};  // what was read goes somewhere, so the loads stay
    auto read_all = [&] {
        pool.parallel_for(n, grain, [&](int64_t begin, int64_t end) {
            // Four independent folds: the compiler vectorises them, and the loads need not wait on each
            // other. Each cache line also asks for the one kPrefetchAheadBytes ahead, as the decode kernels
            // do: on some machines the hardware prefetchers alone leave a quarter of the bandwidth unused,
            // and the bound must be the best that a reader can get.
            constexpr int64_t kAhead = kPrefetchAheadBytes / sizeof(uint64_t);
            const uint64_t* p = data;
            uint64_t a = 0, b = 0, c = 0, d = 0;
            int64_t i = begin;
            for (; i + 8 <= end; i += 8) {
                __builtin_prefetch(p + i + kAhead);
                a ^= p[i] ^ p[i + 4];
                b ^= p[i + 1] ^ p[i + 5];
                c ^= p[i + 2] ^ p[i + 6];
                d ^= p[i + 3] ^ p[i + 7];
            }
            for (; i < end; ++i)
                a ^= p[i];
            folded.fetch_xor(a ^ b ^ c ^ d, std::memory_order_relaxed);
        });
    };
    read_all();
    double best = 0;
    for (int repeat = 0; repeat < 4; ++repeat) {
        auto start = std::chrono::steady_clock::now();
        read_all();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::max(best, static_cast<double>(n) * sizeof(uint64_t) / seconds);
    }
    return best;
}

}  // namespace loom
