// A STREAM-like measurement of memory bandwidth, so that benchmarks can say how close decoding comes to
// the machine's limit (decoding reads every weight once per token).
#pragma once

#include "util/thread_pool.h"

namespace loom {

// Bytes per second of a triad a[i] = b[i] + s * c[i] over arrays far larger than the caches, run on every
// thread of `pool`; the best of a few repetitions. Takes about half a second.
double measure_memory_bandwidth(ThreadPool& pool);

}  // namespace loom
