#include "kernels/quant/interleaved.h"

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

size_t interleaved_bytes(DType type, int64_t rows, int64_t k) {
    const int64_t groups = (rows + kInterleavedRows - 1) / kInterleavedRows;
    return static_cast<size_t>(groups * kInterleavedRows) * row_bytes(type, k);
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
    const size_t row = row_bytes(type, k);
    const int64_t blocks = k / f.block_elements;
    const size_t group_bytes = static_cast<size_t>(blocks) * f.group_block_bytes();
    for (int64_t g = group_begin; g < group_end; ++g) {
        std::byte* group = out + static_cast<size_t>(g) * group_bytes;
        std::memset(group, 0, group_bytes);  // the padding rows of the last group: zero scales and codes
        for (int lane = 0; lane < kInterleavedRows; ++lane) {
            const int64_t r = g * kInterleavedRows + lane;
            if (r >= rows) break;
            const std::byte* src = stored + static_cast<size_t>(r) * row;
            for (int64_t b = 0; b < blocks; ++b)
                scatter_block(f, src + static_cast<size_t>(b) * f.block_bytes, lane,
                              group + static_cast<size_t>(b) * f.group_block_bytes());
        }
    }
}

void deinterleave_row(DType type, const std::byte* interleaved, int64_t k, int64_t row, std::byte* out) {
    const InterleavedFormat& f = format_of(type);
    const int64_t blocks = k / f.block_elements;
    const size_t group_bytes = static_cast<size_t>(blocks) * f.group_block_bytes();
    const std::byte* group = interleaved + static_cast<size_t>(row / kInterleavedRows) * group_bytes;
    const int lane = static_cast<int>(row % kInterleavedRows);
    for (int64_t b = 0; b < blocks; ++b)
        gather_block(f, group + static_cast<size_t>(b) * f.group_block_bytes(), lane,
                     out + static_cast<size_t>(b) * f.block_bytes);
}

}  // namespace loom
