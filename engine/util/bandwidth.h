// How fast memory can be read, so that benchmarks can say how close decoding comes to the machine's limit
// (decoding reads every weight once per token, and little else).
#pragma once

#include "util/thread_pool.h"

namespace loom {

// Bytes per second read from an array far larger than the caches, split over every thread of `pool`, the
// way decode streams its weights; the best of a few passes. Takes about half a second. (A STREAM triad,
// which also writes, reports less: each written line is read first.)
double measure_memory_bandwidth(ThreadPool& pool);

}  // namespace loom
