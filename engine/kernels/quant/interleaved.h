// Interleaved rows: the layout in which the SIMD kernels want the 32-element quantized formats (Q8_0, Q4_0,
// Q4_1, Q5_0, Q5_1), made once when a model is loaded (backend/cpu_backend.cpp).
//
// Why: decoding one token multiplies each weight row with one activation vector. In the stored layout a
// row is a run of blocks, and a kernel reading it one block at a time spends per block an unpack, one dot
// product, a horizontal reduction per row and a scalar fp16 scale: more work per byte than memory delivers
// on two cores. With 8 rows interleaved, one 256-bit load holds 4 codes of each of 8 rows, one VPDPBUSD
// (or maddubs + madd) multiplies them with 4 activation codes broadcast to all lanes, and each lane
// accumulates one row: the 8 scales convert in one instruction and no horizontal sums are left. The bytes
// are the same, only their order changes, so memory traffic stays that of the stored format.
//
// Rows are taken in groups of 8 (the last group padded with zero rows). A group is a sequence of "group
// blocks", one per 32-element block column; group block b of group g holds block b of rows 8g .. 8g+7:
//
//   d[8]       fp16 scales, lane (row within the group) order                        16 bytes
//   m[8]       fp16 minimums (Q4_1, Q5_1 only)                                       16 bytes
//   high[8]    the 5th code bits (Q5_0, Q5_1 only), one 32-bit word per lane,        32 bytes
//              transposed so that bit 8j + p holds the bit of element 4p + j
//   codes      per 4 code bytes of the stored block (chunk c), 32 bytes: bytes         128 bytes (4-bit),
//              4c .. 4c+3 of each of the 8 rows, lane order                           256 bytes (Q8_0)
//
// A group block is exactly 8 stored blocks long. With the high bits transposed, the 5th bits of the 4
// codes that one lane's byte j of chunk part p multiplies (elements 4p + j, p = c for low nibbles and
// 4 + c for high nibbles) all sit at bit p of byte j: a shift and a mask put them at bit 4.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace loom {

inline constexpr int kInterleavedRows = 8;

// What a 32-element format looks like interleaved. (A literal type: the SIMD kernels take it as a
// template argument.)
struct InterleavedFormat {
    size_t block_bytes = 0;  // the stored block: 2 bytes d, [2 bytes m], [4 bytes qh], codes
    bool has_min = false;
    bool has_high_bits = false;
    int code_bits = 4;  // 4 (two codes per byte) or 8 (Q8_0's signed bytes)

    constexpr size_t code_bytes() const { return code_bits == 8 ? 32 : 16; }  // per stored block
    constexpr size_t stored_min() const { return 2; }
    constexpr size_t stored_high() const { return has_min ? 4 : 2; }
    constexpr size_t stored_codes() const { return stored_high() + (has_high_bits ? 4 : 0); }
    constexpr size_t min_offset() const { return 16; }
    constexpr size_t high_offset() const { return has_min ? 32 : 16; }
    constexpr size_t codes_offset() const { return high_offset() + (has_high_bits ? 32 : 0); }
    constexpr size_t group_block_bytes() const { return kInterleavedRows * block_bytes; }
};

inline constexpr InterleavedFormat kInterleavedQ8_0{34, false, false, 8};
inline constexpr InterleavedFormat kInterleavedQ4_0{18, false, false, 4};
inline constexpr InterleavedFormat kInterleavedQ4_1{20, true, false, 4};
inline constexpr InterleavedFormat kInterleavedQ5_0{22, false, true, 4};
inline constexpr InterleavedFormat kInterleavedQ5_1{24, true, true, 4};

// The interleaved form of `type`, or nullptr for types that have none.
const InterleavedFormat* interleaved_format(DType type);

// Bytes of `rows` rows of `k` elements interleaved (rows rounded up to whole groups).
size_t interleaved_bytes(DType type, int64_t rows, int64_t k);

// Writes groups [group_begin, group_end) of the interleaved form of `rows` stored rows of `k` elements
// (row r at stored + r * row_bytes(type, k)) into `out`, the start of the whole interleaved matrix.
void interleave_rows(DType type, const std::byte* stored, int64_t rows, int64_t k, int64_t group_begin,
                     int64_t group_end, std::byte* out);

// Copies row `row` of an interleaved matrix of `k` elements per row back to the stored layout.
void deinterleave_row(DType type, const std::byte* interleaved, int64_t k, int64_t row, std::byte* out);

// One stored block to lane `lane` of a group block, and back.
void scatter_block(const InterleavedFormat& f, const std::byte* block, int lane, std::byte* group_block);
void gather_block(const InterleavedFormat& f, const std::byte* group_block, int lane, std::byte* block);

}  // namespace loom
