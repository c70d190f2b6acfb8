#include "tensor/dtype.h"

#include "tensor/quant_blocks.h"

#include <array>
#include <cassert>
#include <cctype>

namespace loom {

namespace {
// Block layouts: tensor/quant_blocks.h (they follow the GGUF format description, ggml's block_q*_*).
constexpr std::array<DTypeInfo, 15> kInfo = {{
    {"F32", 1, 4, false},
    {"F16", 1, 2, false},
    {"BF16", 1, 2, false},
    {"Q8_0", kLegacyBlock, sizeof(BlockQ8_0), true},
    {"Q4_0", kLegacyBlock, sizeof(BlockQ4_0), true},
    {"Q4_1", kLegacyBlock, sizeof(BlockQ4_1), true},
    {"Q5_0", kLegacyBlock, sizeof(BlockQ5_0), true},
    {"Q5_1", kLegacyBlock, sizeof(BlockQ5_1), true},
    {"Q2_K", kSuperBlock, sizeof(BlockQ2_K), true},
    {"Q3_K", kSuperBlock, sizeof(BlockQ3_K), true},
    {"Q4_K", kSuperBlock, sizeof(BlockQ4_K), true},
    {"Q5_K", kSuperBlock, sizeof(BlockQ5_K), true},
    {"Q6_K", kSuperBlock, sizeof(BlockQ6_K), true},
    {"Q8_K", kSuperBlock, sizeof(BlockQ8_K), true},
    {"Q8_0S", kLegacyBlock, sizeof(BlockQ8_0S), true},
}};
static_assert(kInfo.size() == static_cast<size_t>(DType::Q8_0S) + 1, "one entry per DType, in enum order");
}  // namespace

const DTypeInfo& dtype_info(DType type) {
    return kInfo[static_cast<size_t>(type)];
}

std::optional<DType> dtype_from_name(std::string_view name) {
    for (size_t i = 0; i < kInfo.size(); ++i) {
        std::string_view known = kInfo[i].name;
        if (known.size() != name.size()) continue;
        bool same = true;
        for (size_t c = 0; c < name.size() && same; ++c)
            same = std::toupper(static_cast<unsigned char>(name[c])) == known[c];
        if (same) return static_cast<DType>(i);
    }
    return std::nullopt;
}

size_t row_bytes(DType type, int64_t elements) {
    const DTypeInfo& info = dtype_info(type);
    assert(elements % info.block_elements == 0);
    return static_cast<size_t>(elements / info.block_elements) * info.block_bytes;
}

}  // namespace loom
