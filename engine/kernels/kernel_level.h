// Which instruction set a kernel is written for. Every kernel has a portable scalar version (the reference
// the others are tested against) and may have faster ones; the best one this CPU supports is picked at run
// time (util/cpu_features.h), never at compile time.
#pragma once

namespace loom {

enum class KernelLevel { Scalar, Avx2, Avx512 };

// The best level this CPU supports (LOOM_CPU=scalar|avx2 lowers it).
KernelLevel best_kernel_level();
const char* kernel_level_name(KernelLevel level);

}  // namespace loom
