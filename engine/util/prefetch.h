// Software prefetching of the arrays that kernels stream from memory once per token (a model's weights, read
// by the one-token kernels), and how far ahead it reaches.
//
// The hardware prefetchers follow a stream of reads only within a 4 KiB page: at every new page they have
// to see a few misses before they run ahead again. So a reader asks, as it enters each page, for the first
// line of the page `ahead` bytes further on: the hardware is then already streaming that page when the reads
// get there. Asking for every line instead takes the line fill buffers that the hardware's own prefetches
// would use. On the AMD EPYC (Zen 5) of a development machine, two threads reading 1 GiB got 63-64 GB/s
// with plain reads, 53-55 asking for every line 4 KiB ahead, and 73-76 with one request per page 8-32 KiB
// ahead (medians of six rounds); README.md (Speed) has what it gives the model.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loom {

inline constexpr size_t kPageBytes = 4096;  // the stretch that hardware prefetchers stay within
inline constexpr size_t kCacheLineBytes = 64;

// How far ahead of their reads the one-token kernels ask for the next page, in bytes; 0 when they leave it
// to the hardware. kDefaultPrefetchAheadBytes unless the environment variable LOOM_PREFETCH=<bytes> (0 =
// off, at most kMaxPrefetchAheadBytes) says otherwise. Read once; throws Error when the variable holds
// anything else (CpuBackend reads it when made, so the error comes from there).
size_t prefetch_ahead_bytes();

inline constexpr size_t kDefaultPrefetchAheadBytes = 16384;
inline constexpr size_t kMaxPrefetchAheadBytes = 65536;  // 8 to 32 KiB read equally fast
// The distance LOOM_PREFETCH's text asks for: kDefaultPrefetchAheadBytes when it is null or empty; throws
// Error when it is not a number of bytes from 0 to kMaxPrefetchAheadBytes.
size_t prefetch_distance(const char* text);

// For a read of [position, position + step): the start of the page that begins within (position, position +
// step], or 0 when the read stays within one page. Over a stream read step after step, each page boundary
// is found exactly once.
constexpr uintptr_t page_entered(uintptr_t position, size_t step) {
    const uintptr_t end = position + step;
    return (end & (kPageBytes - 1)) < step ? end & ~uintptr_t{kPageBytes - 1} : 0;
}

// Called for every step of a stream read Step bytes at a time, from p on: when the point `ahead` bytes past
// the step enters a new page, asks for that page's first line. Nothing when ahead is 0.
template <size_t Step>
[[gnu::always_inline]] inline void prefetch_next_page(const std::byte* p, size_t ahead) {
    static_assert(Step <= kPageBytes, "a step longer than a page would pass over pages");
    if (ahead == 0) return;
    if (const uintptr_t page = page_entered(reinterpret_cast<uintptr_t>(p) + ahead, Step))
        __builtin_prefetch(reinterpret_cast<const void*>(page), 0, 3);
}

// Asks for every line of the Step bytes that follow [p, p + Step): the next step's data, for a kernel that
// reads each step in an order the hardware prefetchers do not follow (a K-quant group block, read in several
// passes). Nothing when ahead is 0. (Prefetches never fault: the next step may lie past an array's end.)
template <size_t Step>
[[gnu::always_inline]] inline void prefetch_next_step(const std::byte* p, size_t ahead) {
    if (ahead == 0) return;
    for (uintptr_t line = reinterpret_cast<uintptr_t>(p) + Step;
         line < reinterpret_cast<uintptr_t>(p) + 2 * Step; line += kCacheLineBytes)
        __builtin_prefetch(reinterpret_cast<const void*>(line), 0, 3);
}

}  // namespace loom
