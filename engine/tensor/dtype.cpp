#include "tensor/dtype.h"

#include <array>
#include <cassert>
#include <cctype>

namespace loom {

namespace {
// Block layouts follow the GGUF format description (ggml's block_q*_*); sizes in bytes.
constexpr std::array<DTypeInfo, 14> kInfo = {{
    {"F32", 1, 4, false},
    {"F16", 1, 2, false},
    {"BF16", 1, 2, false},
    {"Q8_0", 32, 2 + 32, true},
    {"Q4_0", 32, 2 + 16, true},
    {"Q4_1", 32, 2 + 2 + 16, true},
    {"Q5_0", 32, 2 + 4 + 16, true},
    {"Q5_1", 32, 2 + 2 + 4 + 16, true},
    {"Q2_K", 256, 16 + 64 + 2 + 2, true},
    {"Q3_K", 256, 32 + 64 + 12 + 2, true},
    {"Q4_K", 256, 2 + 2 + 12 + 128, true},
    {"Q5_K", 256, 2 + 2 + 12 + 32 + 128, true},
    {"Q6_K", 256, 128 + 64 + 16 + 2, true},
    {"Q8_K", 256, 4 + 256 + 2 * 16, true},
}};
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
