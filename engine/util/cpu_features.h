// What the processor we run on can do, read once with CPUID. Kernels pick their implementation from it.
#pragma once

#include <string>

namespace loom {

struct CpuFeatures {
    bool avx2 = false;    // with FMA and F16C: the "AVX2" level
    bool avx512 = false;  // F, BW, VL, DQ: the "AVX-512" level
    bool avx512_vnni = false;
    bool avx512_bf16 = false;
    bool avx_vnni = false;

    std::string describe() const;  // e.g. "AVX-512 (VNNI, BF16)"
};

// The features of this machine, possibly lowered by the environment variable
// LOOM_CPU=scalar|avx2|avx2-maddubs (AVX2 without AVX-VNNI)|avx512
// (used by tests and benchmarks to exercise the portable paths on a machine that has more).
const CpuFeatures& cpu_features();

}  // namespace loom
