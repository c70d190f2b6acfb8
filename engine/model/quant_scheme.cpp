#include "model/quant_scheme.h"

#include <array>
#include <cctype>

#include "util/error.h"

namespace loom {

namespace {

struct SchemeEntry {
    std::string_view name;
    DType base;
    bool mixed;
    uint32_t file_type;  // llama.cpp's llama_ftype
};

constexpr std::array<SchemeEntry, 15> kSchemes = {{
    {"F32", DType::F32, false, 0},
    {"F16", DType::F16, false, 1},
    {"BF16", DType::BF16, false, 32},
    {"Q8_0", DType::Q8_0, false, 7},
    {"Q4_0", DType::Q4_0, false, 2},
    {"Q4_1", DType::Q4_1, false, 3},
    {"Q5_0", DType::Q5_0, false, 8},
    {"Q5_1", DType::Q5_1, false, 9},
    {"Q2_K", DType::Q2_K, false, 10},
    {"Q3_K", DType::Q3_K, false, 11},
    {"Q4_K", DType::Q4_K, false, 14},
    {"Q5_K", DType::Q5_K, false, 16},
    {"Q6_K", DType::Q6_K, false, 18},
    {"Q4_K_M", DType::Q4_K, true, 15},
    {"Q5_K_M", DType::Q5_K, true, 17},
}};

// A type with smaller blocks for rows that cannot hold whole blocks of `type` (llama.cpp's fallbacks).
DType fallback(DType type) {
    switch (type) {
        case DType::Q2_K:
        case DType::Q3_K:
            return DType::Q4_0;
        case DType::Q4_K:
            return DType::Q5_0;
        case DType::Q5_K:
            return DType::Q5_1;
        case DType::Q6_K:
            return DType::Q8_0;
        default:
            return DType::F16;
    }
}

// llama.cpp's choice of layers that get more bits in the _M mixes: the first and last eighth, and every
// third layer between.
bool more_bits(int layer, int layers) {
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

}  // namespace

QuantScheme QuantScheme::parse(std::string_view name) {
    std::string upper(name);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const SchemeEntry& entry : kSchemes)
        if (entry.name == upper) {
            QuantScheme scheme;
            scheme.name_ = upper;
            scheme.base_ = entry.base;
            scheme.mixed_ = entry.mixed;
            scheme.file_type_ = entry.file_type;
            return scheme;
        }
    fail("unknown weight type '", std::string(name), "' (known: ", known_names(), ")");
}

std::string QuantScheme::known_names() {
    std::string names;
    for (const SchemeEntry& entry : kSchemes)
        names += (names.empty() ? "" : ", ") + std::string(entry.name);
    return names;
}

DType QuantScheme::type_for(WeightId id, int layer, int layers, int64_t cols) const {
    DType type = base_;
    if (mixed_) {
        bool output = id == WeightId::Output || id == WeightId::TokenEmbedding;
        if (output || ((id == WeightId::V || id == WeightId::Down) && more_bits(layer, layers)))
            type = DType::Q6_K;
    }
    while (!row_fits_blocks(type, cols))
        type = fallback(type);
    return type;
}

}  // namespace loom
