#include "kernels/quant/interleaved.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "util/error.h"

namespace loom {

static_assert(kInterleavedQ8_0.block_bytes == sizeof(BlockQ8_0) &&
              kInterleavedQ4_0.block_bytes == sizeof(BlockQ4_0) &&
              kInterleavedQ4_1.block_bytes == sizeof(BlockQ4_1) &&
              kInterleavedQ5_0.block_bytes == sizeof(BlockQ5_0) &&
              kInterleavedQ5_1.block_bytes == sizeof(BlockQ5_1));
static_assert(kInterleavedQ5_1.codes_offset() + 8 * kInterleavedQ5_1.code_bytes() ==
              kInterleavedQ5_1.group_block_bytes());
static_assert(kInterleavedQ8_0.codes_offset() + 8 * kInterleavedQ8_0.code_bytes() ==
              kInterleavedQ8_0.group_block_bytes());

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

const InterleavedFormat& format_of(DType type) {
    const InterleavedFormat* f = interleaved_format(type);
    if (!f) fail("weights of type ", dtype_name(type), " have no interleaved layout");
    return *f;
}

}  // namespace

const InterleavedFormat* interleaved_format(DType type) {
    switch (type) {
        case DType::Q8_0:
            return &kInterleavedQ8_0;
        case DType::Q4_0:
            return &kInterleavedQ4_0;
        case DType::Q4_1:
            return &kInterleavedQ4_1;
        case DType::Q5_0:
            return &kInterleavedQ5_0;
        case DType::Q5_1:
            return &kInterleavedQ5_1;
        default:
            return nullptr;
    }
}

size_t interleaved_bytes(DType type, int64_t rows, int64_t k) {
    const int64_t groups = (rows + kInterleavedRows - 1) / kInterleavedRows;
    return static_cast<size_t>(groups * kInterleavedRows) * row_bytes(type, k);
}

void scatter_block(const InterleavedFormat& f, const std::byte* block, int lane, std::byte* group_block) {
    std::memcpy(group_block + 2 * lane, block, 2);
    if (f.has_min) std::memcpy(group_block + f.min_offset() + 2 * lane, block + f.stored_min(), 2);
    if (f.has_high_bits) {
        uint32_t qh;
        std::memcpy(&qh, block + f.stored_high(), 4);
        const uint32_t word = transpose_high_bits(qh);
        std::memcpy(group_block + f.high_offset() + 4 * lane, &word, 4);
    }
    const std::byte* codes = block + f.stored_codes();
    for (size_t c = 0; c < f.code_bytes() / 4; ++c)
        std::memcpy(group_block + f.codes_offset() + 32 * c + 4 * lane, codes + 4 * c, 4);
}

void gather_block(const InterleavedFormat& f, const std::byte* group_block, int lane, std::byte* block) {
    std::memcpy(block, group_block + 2 * lane, 2);
    if (f.has_min) std::memcpy(block + f.stored_min(), group_block + f.min_offset() + 2 * lane, 2);
    if (f.has_high_bits) {
        uint32_t word;
        std::memcpy(&word, group_block + f.high_offset() + 4 * lane, 4);
        const uint32_t qh = untranspose_high_bits(word);
        std::memcpy(block + f.stored_high(), &qh, 4);
    }
    std::byte* codes = block + f.stored_codes();
    for (size_t c = 0; c < f.code_bytes() / 4; ++c)
        std::memcpy(codes + 4 * c, group_block + f.codes_offset() + 32 * c + 4 * lane, 4);
}

void interleave_rows(DType type, const std::byte* stored, int64_t rows, int64_t k, int64_t group_begin,
                     int64_t group_end, std::byte* out) {
    const InterleavedFormat& f = format_of(type);
    const size_t row = row_bytes(type, k);
    const int64_t blocks = k / kLegacyBlock;
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
    const int64_t blocks = k / kLegacyBlock;
    const size_t group_bytes = static_cast<size_t>(blocks) * f.group_block_bytes();
    const std::byte* group = interleaved + static_cast<size_t>(row / kInterleavedRows) * group_bytes;
    const int lane = static_cast<int>(row % kInterleavedRows);
    for (int64_t b = 0; b < blocks; ++b)
        gather_block(f, group + static_cast<size_t>(b) * f.group_block_bytes(), lane,
                     out + static_cast<size_t>(b) * f.block_bytes);
}

}  // namespace loom
