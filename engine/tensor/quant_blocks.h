// Byte layouts of the quantized block formats, as stored in GGUF files (ggml's block_q*), plus Loom's own
// activation block Q8_0S. Every row of a quantized matrix is a sequence of these blocks, packed without gaps;
// multi-byte fields are little-endian, `half` fields are IEEE fp16 bit patterns (util/half.h).
//
// Each struct documents how element e of the block (0 <= e < block size) is decoded; the scalar reference in
// kernels/quant/ implements exactly these formulas, the SIMD kernels and the GPU shaders read the same bytes.
// Float expressions are evaluated left to right in float, e.g. "(d * sc) * q" multiplies d and sc first.
//
// Two families:
//  - "legacy" 32-element blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1): one fp16 scale (and for *_1 a minimum)
//    per 32 weights;
//  - "K-quants" (Q2_K .. Q6_K, Q8_K): 256-element super-blocks split into sub-blocks of 16 or 32 whose
//    scales (and minimums) are themselves quantized to 4, 6 or 8 bits relative to an fp16 super-block scale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace loom {

inline constexpr int kLegacyBlock = 32;  // elements per Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q8_0S block
inline constexpr int kSuperBlock = 256;  // elements per K-quant super-block

// Q8_0, 8.5 bits per weight. value(e) = d * qs[e].
struct BlockQ8_0 {
    uint16_t d;  // half
    int8_t qs[32];
};

// Q4_0, 4.5 bits per weight. Element e < 16 is the low nibble of qs[e], element e >= 16 the high nibble of
// qs[e - 16]; value(e) = d * (nibble - 8).
struct BlockQ4_0 {
    uint16_t d;  // half
    uint8_t qs[16];
};

// Q4_1, 5 bits per weight. Nibbles as Q4_0; value(e) = d * nibble + m.
struct BlockQ4_1 {
    uint16_t d;  // half
    uint16_t m;  // half: the block's minimum
    uint8_t qs[16];
};

// Q5_0, 5.5 bits per weight. The low 4 bits of element e are nibbles as in Q4_0; its 5th bit is bit e of the
// little-endian 32-bit word qh. value(e) = d * (q - 16), q = nibble | (bit << 4).
struct BlockQ5_0 {
    uint16_t d;  // half
    uint8_t qh[4];
    uint8_t qs[16];
};

// Q5_1, 6 bits per weight. q as Q5_0; value(e) = d * q + m.
struct BlockQ5_1 {
    uint16_t d;  // half
    uint16_t m;  // half
    uint8_t qh[4];
    uint8_t qs[16];
};

// Q8_0S: Loom's activation block for multiplying with legacy-quantized weights (not a file format):
// value(e) = d * qs[e] with -127 <= qs[e] <= 127, like Q8_0, plus what the kernels need for the offsets and
// minimums of Q4_0, Q4_1, Q5_0 and Q5_1: the exact integer sum of the 32 codes, and d * sum as a float.
// (ggml's Q8_1 stores only d * sum, as a half.) Every field is 32 bits wide so that SIMD kernels can
// broadcast it straight from memory.
struct BlockQ8_0S {
    float d;
    int32_t sum;  // sum of qs, |sum| <= 32 * 127
    float dsum;   // d * sum, rounded once
    int8_t qs[32];
};

// Q2_K, 2.625 bits per weight: 16 sub-blocks of 16 elements. Sub-block j = e / 16 has a 4-bit scale
// (scales[j] & 15) and a 4-bit minimum (scales[j] >> 4). The 2-bit code of element e is
//   (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3,
// i.e. each byte holds four elements 32 apart. value(e) = (d * sc) * q - (dmin * m).
struct BlockQ2_K {
    uint8_t scales[16];
    uint8_t qs[64];
    uint16_t d;     // half: scale of the sub-block scales
    uint16_t dmin;  // half: scale of the sub-block minimums
};

// Q3_K, 3.4375 bits per weight: 16 sub-blocks of 16 elements with signed 6-bit scales. The low 2 bits of
// element e are stored as in Q2_K; the 3rd bit is bit (e / 32) of hmask[e % 32]. q = low | (high << 2), in
// 0..7. The 6-bit scale of sub-block j (0..15): its low 4 bits are the low nibble of scales[j] for j < 8 and
// the high nibble of scales[j - 8] for j >= 8; its high 2 bits are bits 2 * (j / 4) of scales[8 + j % 4].
// value(e) = (d * (scale - 32)) * (q - 4).
struct BlockQ3_K {
    uint8_t hmask[32];
    uint8_t qs[64];
    uint8_t scales[12];
    uint16_t d;  // half
};

// The 12-byte packing of eight 6-bit scales and eight 6-bit minimums shared by Q4_K and Q5_K. For sub-block
// j < 4: scale = scales[j] & 63, min = scales[j + 4] & 63. For j >= 4: scale = (scales[j + 4] & 15) |
// ((scales[j - 4] >> 6) << 4), min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4).
inline constexpr int kKScaleBytes = 12;

// Q4_K, 4.5 bits per weight: 8 sub-blocks of 32 elements with 6-bit scales and minimums (packed as above).
// Element e = 64 * c + 32 * h + i (c < 4, h < 2, i < 32) is nibble h of qs[32 * c + i] (h = 0: low), in
// sub-block j = e / 32. value(e) = (d * sc) * q - (dmin * m).
struct BlockQ4_K {
    uint16_t d;     // half
    uint16_t dmin;  // half
    uint8_t scales[kKScaleBytes];
    uint8_t qs[128];
};

// Q5_K, 5.5 bits per weight: Q4_K plus a 5th bit: bit (e / 32) of qh[e % 32]. q = nibble | (bit << 4);
// value(e) = (d * sc) * q - (dmin * m).
struct BlockQ5_K {
    uint16_t d;     // half
    uint16_t dmin;  // half
    uint8_t scales[kKScaleBytes];
    uint8_t qh[32];
    uint8_t qs[128];
};

// Q6_K, 6.5625 bits per weight: 16 sub-blocks of 16 elements with int8 scales. Element e = 128 * n + 32 * s
// + i (n < 2, s < 4, i < 32): its low 4 bits are nibble (s / 2) of ql[64 * n + 32 * (s % 2) + i], its high
// 2 bits are bits 2 * s of qh[32 * n + i]. q = low | (high << 4), in 0..63.
// value(e) = (d * scales[e / 16]) * (q - 32).
struct BlockQ6_K {
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;  // half
};

// Q8_K: the activation format multiplied with K-quant weights (ggml's; GGUF files do not store it).
// value(e) = d * qs[e], -127 <= qs[e] <= 127; bsums[j] is the sum of qs[16 * j .. 16 * j + 15].
struct BlockQ8_K {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
};

static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0S) == 44);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Rows of blocks are packed without gaps and files need not align them, so the weight blocks are read with
// read_block (memcpy) or unaligned SIMD loads. Q8_0S and Q8_K (float fields) exist only in Loom's own
// activation buffers.
static_assert(alignof(BlockQ8_0) <= 2 && alignof(BlockQ4_K) <= 2 && alignof(BlockQ6_K) <= 2);

// Block i of a row, copied out (rows need not be aligned for the block type).
template <class Block>
Block read_block(const std::byte* row, int64_t i) {
    Block block;
    std::memcpy(&block, row + i * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
    return block;
}

template <class Block>
void write_block(std::byte* row, int64_t i, const Block& block) {
    std::memcpy(row + i * static_cast<int64_t>(sizeof(Block)), &block, sizeof(Block));
}

}  // namespace loom
