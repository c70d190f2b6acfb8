#include "util/cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace loom {

namespace {

#if defined(__x86_64__)
uint64_t xgetbv0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
    CpuFeatures f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    bool osxsave = c & (1u << 27), fma = c & (1u << 12), f16c = c & (1u << 29), avx = c & (1u << 28);
    if (!osxsave || !avx) return f;
    uint64_t xcr0 = xgetbv0();
    bool ymm_state = (xcr0 & 0x6) == 0x6;
    bool zmm_state = (xcr0 & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    bool avx2 = b & (1u << 5);
    f.avx2 = ymm_state && avx2 && fma && f16c;
    bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30),
         avx512vl = b & (1u << 31);
    f.avx512 = f.avx2 && zmm_state && avx512f && avx512dq && avx512bw && avx512vl;
    f.avx512_vnni = f.avx512 && (c & (1u << 11));
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        f.avx_vnni = f.avx2 && (a & (1u << 4));
        f.avx512_bf16 = f.avx512 && (a & (1u << 5));
    }
    return f;
}
#else
CpuFeatures detect() {
    return {};
}
#endif

CpuFeatures apply_override(CpuFeatures f) {
    const char* level = std::getenv("LOOM_CPU");
    if (!level) return f;
    if (std::strcmp(level, "scalar") == 0) return CpuFeatures{};
    if (std::strcmp(level, "avx2") == 0 || std::strcmp(level, "avx2-maddubs") == 0) {
        CpuFeatures lowered;
        lowered.avx2 = f.avx2;
        lowered.avx_vnni = f.avx_vnni && std::strcmp(level, "avx2") == 0;
        return lowered;
    }
    return f;
}

}  // namespace

std::string CpuFeatures::describe() const {
    std::string s = avx512 ? "AVX-512" : avx2 ? "AVX2" : "portable";
    std::string extras;
    if (avx512_vnni) extras += "VNNI";
    if (avx512_bf16) extras += extras.empty() ? "BF16" : ", BF16";
    if (!avx512 && avx_vnni) extras += "AVX-VNNI";
    return extras.empty() ? s : s + " (" + extras + ")";
}

const CpuFeatures& cpu_features() {
    static const CpuFeatures features = apply_override(detect());
    return features;
}

}  // namespace loom
