#include "formats/gguf_format.h"

#include <cassert>

namespace loom::gguf {

namespace {
// ggml's enum ggml_type (ggml.h). Gaps (4, 5, 31-33, 36-38) are ids ggml has retired.
constexpr GgmlType kGgmlTypes[] = {
    {0, "F32", DType::F32},       {1, "F16", DType::F16},        {2, "Q4_0", DType::Q4_0},
    {3, "Q4_1", DType::Q4_1},     {6, "Q5_0", DType::Q5_0},      {7, "Q5_1", DType::Q5_1},
    {8, "Q8_0", DType::Q8_0},     {9, "Q8_1", std::nullopt},     {10, "Q2_K", DType::Q2_K},
    {11, "Q3_K", DType::Q3_K},    {12, "Q4_K", DType::Q4_K},     {13, "Q5_K", DType::Q5_K},
    {14, "Q6_K", DType::Q6_K},    {15, "Q8_K", DType::Q8_K},     {16, "IQ2_XXS", std::nullopt},
    {17, "IQ2_XS", std::nullopt}, {18, "IQ3_XXS", std::nullopt}, {19, "IQ1_S", std::nullopt},
    {20, "IQ4_NL", std::nullopt}, {21, "IQ3_S", std::nullopt},   {22, "IQ2_S", std::nullopt},
    {23, "IQ4_XS", std::nullopt}, {24, "I8", std::nullopt},      {25, "I16", std::nullopt},
    {26, "I32", std::nullopt},    {27, "I64", std::nullopt},     {28, "F64", std::nullopt},
    {29, "IQ1_M", std::nullopt},  {30, "BF16", DType::BF16},     {34, "TQ1_0", std::nullopt},
    {35, "TQ2_0", std::nullopt},  {39, "MXFP4", std::nullopt},
};
}  // namespace

const GgmlType* find_ggml_type(uint32_t id) {
    for (const GgmlType& type : kGgmlTypes)
        if (type.id == id) return &type;
    return nullptr;
}

uint32_t ggml_type_id(DType dtype) {
    for (const GgmlType& type : kGgmlTypes)
        if (type.dtype == dtype) return type.id;
    assert(false && "every DType has a ggml type id");
    return 0;
}

}  // namespace loom::gguf
