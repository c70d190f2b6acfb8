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

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

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

inline uint32_t load_u32(const void* p) {
    uint32_t v;
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

inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m128i load128(const void* p) {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// Sum of the 8 lanes.
inline float hsum(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

// The 32 bits of `bits` as bytes: byte i is `value` where bit i is set, else 0 (AVX2 version).
inline __m256i bits_to_bytes_avx2(uint32_t bits, int8_t value) {
    // Byte i gets byte i / 8 of the word, then is tested against its own bit i % 8.
    const __m256i spread =
        _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303);
    const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
    __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int32_t>(bits)), spread);
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
    return _mm256_and_si256(set, _mm256_set1_epi8(value));
}

// The fp16 values at p, p + stride, ..., p + (count - 1) * stride (the scales of up to 8 consecutive
// blocks) as floats; lanes from `count` on are zero and nothing past the last value is read.
template <int Stride>
__m256 halves8_avx2(const std::byte* p, int count) {
    constexpr int S = Stride;
    const __m256i lanes = _mm256_setr_epi32(0, S, 2 * S, 3 * S, 4 * S, 5 * S, 6 * S, 7 * S);
    const __m256i live =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    // Each lane reads 4 bytes; the last block's scale may be the row's last 2 bytes, so the last lane reads
    // the two bytes before it instead and shifts.
    __m256i words = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), reinterpret_cast<const int*>(p - 2),
                                                lanes, live, 1);
    words = _mm256_srli_epi32(words, 16);
    return _mm256_cvtph_ps(
        _mm_packus_epi32(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1)));
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
    static __m256i bits_to_bytes(uint32_t bits, int8_t value) { return bits_to_bytes_avx2(bits, value); }
    template <int Stride>
    static __m256 halves8(const std::byte* p, int count) {
        return halves8_avx2<Stride>(p, count);
    }
};

#if defined(__AVXVNNI__)
// AVX2 machines with the VEX-encoded VNNI instructions (Alder Lake and later, Zen 5).
struct AvxVnniDot {
    static constexpr bool kVnni = true;
    static __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_avx_epi32(acc, u, s); }
    static __m256i dot_s16(__m256i acc, __m256i a, __m256i b) { return _mm256_dpwssd_avx_epi32(acc, a, b); }
    static __m256i bits_to_bytes(uint32_t bits, int8_t value) { return bits_to_bytes_avx2(bits, value); }
    template <int Stride>
    static __m256 halves8(const std::byte* p, int count) {
        return halves8_avx2<Stride>(p, count);
    }
};
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
// halves8 with AVX-512 (without gathers, which are slow on AMD): the scales of consecutive blocks lie within
// 128 bytes for the first window_blocks(stride) blocks; two masked 64-byte loads (masked so that nothing past
// the last scale is read) and one two-table word permute pick them out. Formats with blocks over 18 bytes
// need a second window for the rest of the eight.
constexpr int window_blocks(int stride) {
    return (128 - 2) / stride + 1 < 8 ? (128 - 2) / stride + 1 : 8;
}

template <int Stride, int First>
struct WindowIndex {
    static constexpr std::array<int16_t, 32> make() {
        std::array<int16_t, 32> index{};
        // Positions past the window's reach read word 63, which is then always masked to zero.
        for (int i = First; i < 8; ++i)
            index[static_cast<size_t>(i)] =
                static_cast<int16_t>(i - First < window_blocks(Stride) ? (i - First) * Stride / 2 : 63);
        return index;
    }
    static constexpr std::array<int16_t, 32> kIndex = make();
};

// Words p[i * Stride] for First <= i < First + count, at word positions First .. First + count - 1; the
// positions after them read zeros.
template <int Stride, int First>
__m512i halves_window(const std::byte* p, int count) {
    static_assert(Stride % 2 == 0);
    const int words = count > 0 ? ((count - 1) * Stride + 2) / 2 : 0;  // at most 64
    const uint64_t mask = words >= 64 ? ~0ull : (1ull << words) - 1;
    const std::byte* base = p + First * Stride;
    __m512i a = _mm512_maskz_loadu_epi16(static_cast<__mmask32>(mask), base);
    __m512i b = _mm512_maskz_loadu_epi16(static_cast<__mmask32>(mask >> 32), base + 64);
    __m512i index = _mm512_loadu_si512(WindowIndex<Stride, First>::kIndex.data());
    return _mm512_permutex2var_epi16(a, index, b);
}

template <int Stride>
__m256 halves8_avx512(const std::byte* p, int count) {
    constexpr int G = window_blocks(Stride);
    __m512i words = halves_window<Stride, 0>(p, count < G ? count : G);
    if constexpr (G < 8) {
        if (count > G) {
            constexpr __mmask32 kRest = static_cast<__mmask32>(0xff & ~((1u << G) - 1));
            words = _mm512_mask_mov_epi16(words, kRest, halves_window<Stride, G>(p, count - G));
        }
    }
    return _mm256_cvtph_ps(_mm512_castsi512_si128(words));
}

// AVX-512 VNNI on 256-bit vectors (for the one-token kernels, whose work per row is too short for 512 bits).
struct Avx512VnniDot {
    static constexpr bool kVnni = true;
    static __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_epi32(acc, u, s); }
    static __m256i dot_s16(__m256i acc, __m256i a, __m256i b) { return _mm256_dpwssd_epi32(acc, a, b); }
    static __m256i bits_to_bytes(uint32_t bits, int8_t value) {
        return _mm256_maskz_mov_epi8(static_cast<__mmask32>(bits), _mm256_set1_epi8(value));
    }
    template <int Stride>
    static __m256 halves8(const std::byte* p, int count) {
        return halves8_avx512<Stride>(p, count);
    }
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
