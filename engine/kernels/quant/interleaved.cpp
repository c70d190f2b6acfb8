#include "kernels/quant/interleaved.h"

#include <algorithm>
#include <cstring>

#include "tensor/quant_blocks.h"
#include "util/error.h"

namespace loom {

namespace {

// The 32 high bits of a stored block (bit e for element e) and their interleaved word (bit 8j + p for
// element 4p + j): a transpose of 8 x 4 bits.
uint32_t transpose_high_bits(uint32_t qh) {
    uint32_t out = 0;
    for (int p = 0; p < 8; ++p)
        for (int j = 0; j < 4; ++j)
            out |= ((qh >> (4 * p + j)) & 1u) << (8 * j + p);
    return out;
}

uint32_t untranspose_high_bits(uint32_t word) {
    uint32_t out = 0;
    for (int p = 0; p < 8; ++p)
        for (int j = 0; j < 4; ++j)
            out |= ((word >> (8 * j + p)) & 1u) << (4 * p + j);
    return out;
}

// The formats: block bytes, elements, the fp16 scalars, the transposed high-bit word.
constexpr InterleavedFormat kQ8_0{sizeof(BlockQ8_0), kLegacyBlock, 0, 2};
constexpr InterleavedFormat kQ4_0{sizeof(BlockQ4_0), kLegacyBlock, 0, 2};
constexpr InterleavedFormat kQ4_1{sizeof(BlockQ4_1), kLegacyBlock, 0, 4};
constexpr InterleavedFormat kQ5_0{sizeof(BlockQ5_0), kLegacyBlock, 0, 2,
                                  static_cast<int>(offsetof(BlockQ5_0, qh))};
constexpr InterleavedFormat kQ5_1{sizeof(BlockQ5_1), kLegacyBlock, 0, 4,
                                  static_cast<int>(offsetof(BlockQ5_1, qh))};
constexpr InterleavedFormat kQ2_K{sizeof(BlockQ2_K), kSuperBlock, offsetof(BlockQ2_K, d), sizeof(BlockQ2_K)};
constexpr InterleavedFormat kQ3_K{sizeof(BlockQ3_K), kSuperBlock, offsetof(BlockQ3_K, d), sizeof(BlockQ3_K)};
constexpr InterleavedFormat kQ4_K{sizeof(BlockQ4_K), kSuperBlock, 0, 4};
constexpr InterleavedFormat kQ5_K{sizeof(BlockQ5_K), kSuperBlock, 0, 4};
constexpr InterleavedFormat kQ6_K{sizeof(BlockQ6_K), kSuperBlock, offsetof(BlockQ6_K, d), sizeof(BlockQ6_K)};

// Calls move(stored_offset, group_offset, bytes) for each unit (2 or 4 bytes) of lane `lane`'s block.
template <class Move>
void for_each_unit(const InterleavedFormat& f, int lane, Move&& move) {
    auto run = [&](size_t begin, size_t end, size_t unit) {
        for (size_t o = begin; o < end; o += unit)
            move(o, interleaved_offset(begin) + kInterleavedRows * (o - begin) + unit * lane, unit);
    };
    run(0, f.halves_begin, 4);
    run(f.halves_begin, f.halves_end, 2);
    run(f.halves_end, f.block_bytes, 4);
}

const InterleavedFormat& format_of(DType type) {
    const InterleavedFormat* f = interleaved_format(type);
    if (!f) fail("weights of type ", dtype_name(type), " have no interleaved layout");
    return *f;
}

}  // namespace

const InterleavedFormat* interleaved_format(DType type) {
    switch (type) {
        case DType::Q8_0:
            return &kQ8_0;
        case DType::Q4_0:
            return &kQ4_0;
        case DType::Q4_1:
            return &kQ4_1;
        case DType::Q5_0:
            return &kQ5_0;
        case DType::Q5_1:
            return &kQ5_1;
        case DType::Q2_K:
            return &kQ2_K;
        case DType::Q3_K:
            return &kQ3_K;
        case DType::Q4_K:
            return &kQ4_K;
        case DType::Q5_K:
            return &kQ5_K;
        case DType::Q6_K:
            return &kQ6_K;
        default:
            return nullptr;
    }
}

InterleavedLayout interleaved_layout(size_t block_bytes, int64_t block_elements, int64_t k) {
    InterleavedLayout layout;
    layout.group_block_bytes = kInterleavedRows * block_bytes;
    layout.blocks = k / block_elements;
    layout.panel_blocks = std::max<int64_t>(1, kPanelElements / block_elements);
    if (layout.blocks <= layout.panel_blocks) {
        layout.panel_blocks = std::max<int64_t>(1, layout.blocks);
        layout.row_block_groups = 1;
    } else {
        layout.row_block_groups = kRowBlockGroups;
    }
    return layout;
}

InterleavedLayout interleaved_layout(DType type, int64_t k) {
    const InterleavedFormat& f = format_of(type);
    return interleaved_layout(f.block_bytes, f.block_elements, k);
}

int64_t InterleavedLayout::row_block_rows() const {
    return row_block_groups * kInterleavedRows;
}

size_t InterleavedLayout::offset(int64_t group, int64_t block) const {
    const int64_t row_block = group / row_block_groups, in_row_block = group % row_block_groups;
    const int64_t first = block / panel_blocks * panel_blocks;  // the panel's first block
    const int64_t width = std::min(panel_blocks, blocks - first);
    const int64_t units = row_block * row_block_groups * blocks + first * row_block_groups +
                          in_row_block * width + block - first;
    return static_cast<size_t>(units) * group_block_bytes;
}

size_t interleaved_bytes(DType type, int64_t rows, int64_t k) {
    const InterleavedLayout layout = interleaved_layout(type, k);
    const int64_t groups = (rows + kInterleavedRows - 1) / kInterleavedRows;
    const int64_t stored_groups =
        (groups + layout.row_block_groups - 1) / layout.row_block_groups * layout.row_block_groups;
    return static_cast<size_t>(stored_groups * layout.blocks) * layout.group_block_bytes;
}

void scatter_block(const InterleavedFormat& f, const std::byte* block, int lane, std::byte* group_block) {
    for_each_unit(f, lane, [&](size_t stored, size_t grouped, size_t bytes) {
        if (static_cast<int>(stored) == f.transposed_word) {
            uint32_t qh;
            std::memcpy(&qh, block + stored, 4);
            const uint32_t word = transpose_high_bits(qh);
            std::memcpy(group_block + grouped, &word, 4);
        } else {
            std::memcpy(group_block + grouped, block + stored, bytes);
        }
    });
}

void gather_block(const InterleavedFormat& f, const std::byte* group_block, int lane, std::byte* block) {
    for_each_unit(f, lane, [&](size_t stored, size_t grouped, size_t bytes) {
        if (static_cast<int>(stored) == f.transposed_word) {
            uint32_t word;
            std::memcpy(&word, group_block + grouped, 4);
            const uint32_t qh = untranspose_high_bits(word);
            std::memcpy(block + stored, &qh, 4);
        } else {
            std::memcpy(block + stored, group_block + grouped, bytes);
        }
    });
}

void interleave_rows(DType type, const std::byte* stored, int64_t rows, int64_t k, int64_t group_begin,
                     int64_t group_end, std::byte* out) {
    const InterleavedFormat& f = format_of(type);
    const InterleavedLayout layout = interleaved_layout(type, k);
    const size_t row = row_bytes(type, k);
    for (int64_t g = group_begin; g < group_end; ++g) {
        const int lanes = static_cast<int>(std::min<int64_t>(kInterleavedRows, rows - g * kInterleavedRows));
        for (int64_t b = 0; b < layout.blocks; ++b) {
            std::byte* group_block = out + layout.offset(g, b);
            // The padding rows of the last group: zero scales and codes.
            if (lanes < kInterleavedRows) std::memset(group_block, 0, layout.group_block_bytes);
            for (int lane = 0; lane < lanes; ++lane) {
                const std::byte* src = stored + static_cast<size_t>(g * kInterleavedRows + lane) * row;
                scatter_block(f, src + static_cast<size_t>(b) * f.block_bytes, lane, group_block);
            }
        }
    }
}

void deinterleave_row(DType type, const std::byte* interleaved, int64_t k, int64_t row, std::byte* out) {
    const InterleavedFormat& f = format_of(type);
    const InterleavedLayout layout = interleaved_layout(type, k);
    const int lane = static_cast<int>(row % kInterleavedRows);
    for (int64_t b = 0; b < layout.blocks; ++b)
        gather_block(f, interleaved + layout.offset(row / kInterleavedRows, b), lane,
                     out + static_cast<size_t>(b) * f.block_bytes);
}

}  // namespace loom
