// The integer codes inside quantized blocks: unpacking them in element order and packing them back, following
// the layouts documented in tensor/quant_blocks.h. Dequantization, quantization and the scalar matrix kernels
// all go through these few functions, so the bit layouts are written down once.
#pragma once

#include <cstdint>

#include "tensor/quant_blocks.h"

namespace loom::quant {

// ---- 32-element blocks ---------------------------------------------------------------------------------

// 4-bit codes: element i < 16 in the low nibble of qs[i], element i + 16 in its high nibble.
inline void unpack_nibbles32(const uint8_t qs[16], uint8_t q[32]) {
    for (int i = 0; i < 16; ++i) {
        q[i] = qs[i] & 15;
        q[i + 16] = qs[i] >> 4;
    }
}

inline void pack_nibbles32(const uint8_t q[32], uint8_t qs[16]) {
    for (int i = 0; i < 16; ++i)
        qs[i] = static_cast<uint8_t>((q[i] & 15) | ((q[i + 16] & 15) << 4));
}

// 5-bit codes: nibbles as above, bit 4 of element i is bit i of the little-endian word qh.
inline void unpack_5bit32(const uint8_t qs[16], const uint8_t qh[4], uint8_t q[32]) {
    unpack_nibbles32(qs, q);
    uint32_t high = qh[0] | (uint32_t{qh[1]} << 8) | (uint32_t{qh[2]} << 16) | (uint32_t{qh[3]} << 24);
    for (int i = 0; i < 32; ++i)
        q[i] |= static_cast<uint8_t>(((high >> i) & 1) << 4);
}

inline void pack_5bit32(const uint8_t q[32], uint8_t qs[16], uint8_t qh[4]) {
    pack_nibbles32(q, qs);
    uint32_t high = 0;
    for (int i = 0; i < 32; ++i)
        high |= uint32_t{(q[i] >> 4) & 1u} << i;
    for (int b = 0; b < 4; ++b)
        qh[b] = static_cast<uint8_t>(high >> (8 * b));
}

// ---- K-quant super-blocks (256 elements) ---------------------------------------------------------------

// 2-bit fields of Q2_K and Q3_K: element e is in qs[32 * (e / 128) + e % 32] at bit 2 * ((e % 128) / 32).
inline uint8_t two_bit_code(const uint8_t qs[64], int e) {
    return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

inline void pack_two_bit_codes(const uint8_t q[256], uint8_t qs[64]) {
    for (int i = 0; i < 64; ++i)
        qs[i] = 0;
    for (int e = 0; e < 256; ++e)
        qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>((q[e] & 3) << (2 * ((e % 128) / 32)));
}

// Q2_K codes, 0..3.
inline void unpack_q2_k(const BlockQ2_K& b, uint8_t q[256]) {
    for (int e = 0; e < 256; ++e)
        q[e] = two_bit_code(b.qs, e);
}

// Q3_K codes, 0..7 (the value is code - 4): low 2 bits as Q2_K, the 3rd from hmask.
inline void unpack_q3_k(const BlockQ3_K& b, uint8_t q[256]) {
    for (int e = 0; e < 256; ++e)
        q[e] = static_cast<uint8_t>(two_bit_code(b.qs, e) | (((b.hmask[e % 32] >> (e / 32)) & 1) << 2));
}

inline void pack_q3_k(const uint8_t q[256], BlockQ3_K& b) {
    pack_two_bit_codes(q, b.qs);
    for (int i = 0; i < 32; ++i)
        b.hmask[i] = 0;
    for (int e = 0; e < 256; ++e)
        b.hmask[e % 32] |= static_cast<uint8_t>(((q[e] >> 2) & 1) << (e / 32));
}

// Q3_K's signed 6-bit sub-block scales, -32..31.
inline int q3_k_scale(const uint8_t scales[12], int j) {
    int low = j < 8 ? scales[j] & 15 : scales[j - 8] >> 4;
    int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | (high << 4)) - 32;
}

// `scale` in -32..31.
inline void set_q3_k_scale(uint8_t scales[12], int j, int scale) {
    int bits = scale + 32;
    if (j < 8)
        scales[j] = static_cast<uint8_t>((scales[j] & 0xf0) | (bits & 15));
    else
        scales[j - 8] = static_cast<uint8_t>((scales[j - 8] & 0x0f) | ((bits & 15) << 4));
    int shift = 2 * (j / 4);
    uint8_t& high = scales[8 + j % 4];
    high = static_cast<uint8_t>((high & ~(3 << shift)) | (((bits >> 4) & 3) << shift));
}

// The 6-bit scale and minimum of sub-block j (0..7) of Q4_K and Q5_K.
struct ScaleMinCodes {
    int scale;
    int min;
};

inline ScaleMinCodes k_scale_min(const uint8_t scales[kKScaleBytes], int j) {
    if (j < 4) return {scales[j] & 63, scales[j + 4] & 63};
    return {(scales[j + 4] & 15) | ((scales[j - 4] >> 6) << 4),
            (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4)};
}

// Inverse of k_scale_min for all eight sub-blocks; scale and min in 0..63.
inline void pack_k_scale_min(const ScaleMinCodes values[8], uint8_t scales[kKScaleBytes]) {
    for (int j = 0; j < 4; ++j) {
        scales[j] = static_cast<uint8_t>(values[j].scale | ((values[j + 4].scale >> 4) << 6));
        scales[j + 4] = static_cast<uint8_t>(values[j].min | ((values[j + 4].min >> 4) << 6));
        scales[j + 8] = static_cast<uint8_t>((values[j + 4].scale & 15) | ((values[j + 4].min & 15) << 4));
    }
}

// Q4_K codes, 0..15: element 64 * c + 32 * h + i is nibble h of qs[32 * c + i].
inline void unpack_k_nibbles(const uint8_t qs[128], uint8_t q[256]) {
    for (int c = 0; c < 4; ++c)
        for (int i = 0; i < 32; ++i) {
            q[64 * c + i] = qs[32 * c + i] & 15;
            q[64 * c + 32 + i] = qs[32 * c + i] >> 4;
        }
}

inline void pack_k_nibbles(const uint8_t q[256], uint8_t qs[128]) {
    for (int c = 0; c < 4; ++c)
        for (int i = 0; i < 32; ++i)
            qs[32 * c + i] = static_cast<uint8_t>((q[64 * c + i] & 15) | ((q[64 * c + 32 + i] & 15) << 4));
}

// Q5_K codes, 0..31: Q4_K nibbles plus bit (e / 32) of qh[e % 32] as bit 4.
inline void unpack_q5_k(const BlockQ5_K& b, uint8_t q[256]) {
    unpack_k_nibbles(b.qs, q);
    for (int e = 0; e < 256; ++e)
        q[e] |= static_cast<uint8_t>(((b.qh[e % 32] >> (e / 32)) & 1) << 4);
}

inline void pack_q5_k(const uint8_t q[256], BlockQ5_K& b) {
    pack_k_nibbles(q, b.qs);
    for (int i = 0; i < 32; ++i)
        b.qh[i] = 0;
    for (int e = 0; e < 256; ++e)
        b.qh[e % 32] |= static_cast<uint8_t>(((q[e] >> 4) & 1) << (e / 32));
}

// Q6_K codes, 0..63 (the value is code - 32).
inline void unpack_q6_k(const BlockQ6_K& b, uint8_t q[256]) {
    for (int n = 0; n < 2; ++n)
        for (int s = 0; s < 4; ++s)
            for (int i = 0; i < 32; ++i) {
                int low = (b.ql[64 * n + 32 * (s % 2) + i] >> (4 * (s / 2))) & 15;
                int high = (b.qh[32 * n + i] >> (2 * s)) & 3;
                q[128 * n + 32 * s + i] = static_cast<uint8_t>(low | (high << 4));
            }
}

inline void pack_q6_k(const uint8_t q[256], BlockQ6_K& b) {
    for (int i = 0; i < 128; ++i)
        b.ql[i] = 0;
    for (int i = 0; i < 64; ++i)
        b.qh[i] = 0;
    for (int n = 0; n < 2; ++n)
        for (int s = 0; s < 4; ++s)
            for (int i = 0; i < 32; ++i) {
                int code = q[128 * n + 32 * s + i];
                b.ql[64 * n + 32 * (s % 2) + i] |= static_cast<uint8_t>((code & 15) << (4 * (s / 2)));
                b.qh[32 * n + i] |= static_cast<uint8_t>(((code >> 4) & 3) << (2 * s));
            }
}

}  // namespace loom::quant
