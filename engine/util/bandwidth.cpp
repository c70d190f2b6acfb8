#include "util/bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <vector>

#include "util/prefetch.h"
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
    // Four independent folds: the compiler vectorises them, and the loads need not wait on each other. Each
    // new page may also ask for the one `ahead_bytes` further on, as the decode kernels do: whether that
    // helps depends on the machine (util/prefetch.h), and the bound must be the best that a reader can get,
    // so the probe reads both ways and keeps the faster.
    auto read_all = [&](size_t ahead_bytes) {
        pool.parallel_for(n, grain, [&](int64_t begin, int64_t end) {
            const uint64_t* p = data;
            uint64_t a = 0, b = 0, c = 0, d = 0;
            for (int64_t i = begin; i < end; i += 8) {  // one cache line a step; chunks of whole pages
                prefetch_next_page<kCacheLineBytes>(reinterpret_cast<const std::byte*>(p + i), ahead_bytes);
                a ^= p[i] ^ p[i + 4];
                b ^= p[i + 1] ^ p[i + 5];
                c ^= p[i + 2] ^ p[i + 6];
                d ^= p[i + 3] ^ p[i + 7];
            }
            folded.fetch_xor(a ^ b ^ c ^ d, std::memory_order_relaxed);
        });
    };
    // No prefetching, the default distance, and the one the kernels use now.
    std::vector<size_t> distances = {0, kDefaultPrefetchAheadBytes, prefetch_ahead_bytes()};
    std::sort(distances.begin(), distances.end());
    distances.erase(std::unique(distances.begin(), distances.end()), distances.end());
    read_all(0);
    double best = 0;
    for (int repeat = 0; repeat < 3; ++repeat)
        for (size_t distance : distances) {  // alternating, so that each sees the same neighbours
            auto start = std::chrono::steady_clock::now();
            read_all(distance);
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            best = std::max(best, static_cast<double>(n) * sizeof(uint64_t) / seconds);
        }
    return best;
}

}  // namespace loom
