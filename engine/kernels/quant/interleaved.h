// Interleaved rows: the layout in which the SIMD kernels want the quantized formats (Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1 and the K-quants Q2_K .. Q6_K), made once when a model is loaded (backend/cpu_backend.cpp).
//
// Why: decoding one token multiplies each weight row with one activation vector. In the stored layout a
// row is a run of blocks, and a kernel reading it one block at a time spends per block an unpack, integer
// dot products, a horizontal reduction per row and scalar fp16 scales: more work per byte than memory
// delivers on two cores. With 8 rows interleaved, one 256-bit load holds 4 codes of each of 8 rows, one
// VPDPBUSD (or maddubs + madd) multiplies them with 4 activation codes broadcast to all lanes, and each lane
// accumulates one row: scales are converted and applied for 8 rows at once and no horizontal sums are
// left. The bytes are the same, only their order changes, so memory traffic stays that of the stored format.
//
// Rows are taken in groups of 8 (the last group padded with zero rows). A group is a sequence of "group
// blocks", one per block column; group block b of group g holds block b of rows 8g .. 8g+7, 8 times the
// size of a stored block, and one rule places every byte: a field at offset o of the stored block starts
// at offset 8 * o of the group block, with the 8 rows' copies of it interleaved
//   - 2 bytes at a time for the fp16 scalars (d, and m or dmin): d[8] is one 128-bit load of 8 rows' scales;
//   - 4 bytes at a time for everything else (codes, high bits, packed sub-block scales): 32 bytes hold one
//     4-byte word of each of the 8 rows, lane (row within the group) order.
// For example a Q4_0 group block is d[8] (16 bytes) then 4 x 32 bytes of codes, word c of the stored codes
// of row i at 16 + 32c + 4i; a Q4_K group block is d[8], dmin[8], 3 x 32 bytes of packed scales, then
// 32 x 32 bytes of codes.
//
// Long rows are cut into panels. A matrix whose rows hold more than kPanelElements elements is stored in
// row blocks of kRowBlockGroups groups (64 rows), and within a row block panel by panel: the first
// kPanelElements columns of its 8 groups, then the next, each group's blocks of a panel in a run. A thread
// given whole row blocks still reads one unbroken stretch of memory, and while it does, it uses one slice of
// the activations (600 to 700 bytes) for 8 groups in turn instead of all of them (6.7 KB for a row of 4864
// Q8_0S-quantized activations) for each group. Why it matters (EPYC, two threads streaming from memory):
// with whole rows, a matrix of rows of 4864 elements read at 0.77-0.86x the speed of one of 896 elements,
// the same kernel on the same bytes; reading only the first 28 blocks of the activations over and over
// (wrong results, same weights) made them equal, and prefetching the activations did not help. A matrix
// with short rows is one panel wide, and its layout is that of whole rows.
//
// One exception: the 32-bit high-bit word of Q5_0 and Q5_1 is transposed so that bit 8j + p holds the bit
// of element 4p + j. Then the 5th bits of the 4 codes that one lane's byte j of code vector p multiplies
// (elements 4p + j, p = c for low nibbles and 4 + c for high nibbles) all sit at bit p of byte j: a shift
// and a mask put them at bit 4. (The K-quants' high bits need no such help: one byte of them serves codes
// 32 elements apart, which the word interleaving already lines up.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace loom {

inline constexpr int kInterleavedRows = 8;

// Where a field at `stored_offset` of a block starts in a group block.
constexpr size_t interleaved_offset(size_t stored_offset) {
    return kInterleavedRows * stored_offset;
}

// How a format's block is interleaved.
struct InterleavedFormat {
    size_t block_bytes = 0;
    int64_t block_elements = 0;  // 32 or 256
    // The fp16 scalars, moved 2 bytes at a time: [halves_begin, halves_end) of the block. The bytes before
    // and after them are moved 4 bytes at a time (both runs are whole words).
    size_t halves_begin = 0, halves_end = 0;
    int transposed_word = -1;  // offset of Q5_0's or Q5_1's high-bit word, else -1

    constexpr size_t group_block_bytes() const { return kInterleavedRows * block_bytes; }
};

inline constexpr int64_t kPanelElements = 512;
inline constexpr int64_t kRowBlockGroups = 8;

// Where the group blocks of an interleaved matrix are: row block by row block, panel by panel (above).
struct InterleavedLayout {
    size_t group_block_bytes = 0;
    int64_t blocks = 0;            // per row
    int64_t panel_blocks = 0;      // per panel (the last may hold fewer); all of a row's when it is short
    int64_t row_block_groups = 1;  // kRowBlockGroups when a row holds more than one panel, else 1

    // Rows per row block: where ranges of rows handed to a kernel should start. (Not inline: this header
    // is also compiled with the SIMD kernels' instruction sets, see simd_int8.h.)
    int64_t row_block_rows() const;
    // Offset of group block `block` of group `group` from the start of the matrix.
    size_t offset(int64_t group, int64_t block) const;
};

// The layout of rows of `k` elements of `type`, or of a format with these blocks.
InterleavedLayout interleaved_layout(DType type, int64_t k);
InterleavedLayout interleaved_layout(size_t block_bytes, int64_t block_elements, int64_t k);

// The interleaved form of `type`, or nullptr for types that have none.
const InterleavedFormat* interleaved_format(DType type);

// Bytes of `rows` rows of `k` elements interleaved (rows rounded up to whole groups, and to whole row
// blocks when rows are cut into panels).
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
