// Integer building blocks of the SIMD quantized kernels: one policy struct per instruction set. The kernels
// (simd_gemv.h, simd_gemm.h) are templates over these policies, compiled once per level in
// quant_matmul_avx2.cpp (AVX2), quant_matmul_avxvnni.cpp (AVX-VNNI) and quant_matmul_avx512.cpp (AVX-512
// VNNI). Include only from files compiled with AVX2 or better.
//
// These headers are compiled several times with different instruction sets, so everything in them has
// internal linkage (an unnamed namespace): otherwise the linker could pick, say, the AVX-512 copy of an
// inline function for a caller on a machine without AVX-512. For the same reason they use no out-of-line
// library templates (containers, algorithms) whose instantiations would be shared between those files.
//
// The two operations every quantized dot product is made of:
//   dot_u8s8(acc, u, s)  acc[i] += u[4i] s[4i] + ... + u[4i+3] s[4i+3]   (u unsigned bytes, s signed bytes)
//   dot_s16(acc, a, b)   acc[i] += a[2i] b[2i] + a[2i+1] b[2i+1]        (signed 16-bit)
// VNNI does each in one instruction. Plain AVX2 goes through maddubs, whose 16-bit pair sums saturate, so
// callers keep u below 128 (or use the sign trick of dot_s8s8_avx2 for signed weights): activations are
// within -127..127, and 2 * 128 * 127 < 2^15.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

inline uint32_t float_bits_of(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    return bits;
}

inline int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

inline bool finite(float v) {
    return (float_bits_of(v) & 0x7f800000u) != 0x7f800000u;
}

inline int32_t load_i32(const void* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// A per-thread working buffer, 64-byte aligned, grown as needed (kept between calls: the kernels run per
// chunk of rows many times per token).
struct ScratchBuffer {
    std::byte* data = nullptr;
    size_t size = 0;
    ScratchBuffer() = default;
    ScratchBuffer(const ScratchBuffer&) = delete;
    ScratchBuffer& operator=(const ScratchBuffer&) = delete;
    ~ScratchBuffer() { std::free(data); }
    std::byte* get(size_t bytes) {
        if (bytes > size) {
            std::free(data);
            size = (bytes + 4095) / 4096 * 4096;
            data = static_cast<std::byte*>(std::aligned_alloc(64, size));
            if (!data) {
                size = 0;
                throw std::bad_alloc();
            }
        }
        return data;
    }
};

// Calls f(std::integral_constant<int, I>{}) for I = 0 .. N - 1: loops whose index must be a constant
// (shift counts, offsets).
template <int N, class Fn>
[[gnu::always_inline]] inline void for_each_index(Fn&& f) {
    [&]<int... I>(std::integer_sequence<int, I...>) {
        (f(std::integral_constant<int, I>{}), ...);
    }
    (std::make_integer_sequence<int, N>{});
}

inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m128i load128(const void* p) {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// Plain AVX2 + FMA.
struct Avx2Dot {
    static constexpr bool kVnni = false;
    static __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
        return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
    }
    static __m256i dot_s16(__m256i acc, __m256i a, __m256i b) {
        return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
    }
};

#if defined(__AVXVNNI__)
// AVX2 machines with the VEX-encoded VNNI instructions (Alder Lake and later, Zen 5).
struct AvxVnniDot {
    static constexpr bool kVnni = true;
    static __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_avx_epi32(acc, u, s); }
    static __m256i dot_s16(__m256i acc, __m256i a, __m256i b) { return _mm256_dpwssd_avx_epi32(acc, a, b); }
};
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
// AVX-512 VNNI on 256-bit vectors (for the one-token kernels, whose work per row is too short for 512 bits).
struct Avx512VnniDot {
    static constexpr bool kVnni = true;
    static __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_epi32(acc, u, s); }
    static __m256i dot_s16(__m256i acc, __m256i a, __m256i b) { return _mm256_dpwssd_epi32(acc, a, b); }
};
#endif

// Signed weights times signed activations (Q8_0), for the dot policies. Without VNNI: maddubs of |w| with x
// carrying w's sign. With VNNI the kernels instead flip w's sign bit (w + 128, unsigned) and subtract 128 *
// sum(x) through the activation block's sum, which costs one instruction less per block.
template <class Dot>
__m256i dot_s8s8_avx2(__m256i acc, __m256i w, __m256i x) {
    return Dot::dot_u8s8(acc, _mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

}  // namespace
}  // namespace loom::simd
