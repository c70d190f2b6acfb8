// Building the table of quantized kernels of one instruction-set level. Each quant_matmul_<level>.cpp
// instantiates it with its panel ISA and dot policy. Include only from those files.
#pragma once

#include "kernels/quant/quant_matmul.h"
#include "kernels/quant/simd_convert.h"
#include "kernels/quant/simd_gemm.h"

namespace loom::simd {
namespace {  // internal linkage: see simd_int8.h

// The SIMD format description of each weight type, and which activation type it multiplies with.
template <DType Type>
struct FormatOf;
template <>
struct FormatOf<DType::Q8_0> {
    using F = Q8_0Format;
    static constexpr bool kK = false;
};
template <>
struct FormatOf<DType::Q4_0> {
    using F = Q4_0Format;
    static constexpr bool kK = false;
};
template <>
struct FormatOf<DType::Q4_1> {
    using F = Q4_1Format;
    static constexpr bool kK = false;
};
template <>
struct FormatOf<DType::Q5_0> {
    using F = Q5_0Format;
    static constexpr bool kK = false;
};
template <>
struct FormatOf<DType::Q5_1> {
    using F = Q5_1Format;
    static constexpr bool kK = false;
};
template <>
struct FormatOf<DType::Q2_K> {
    using F = Q2_KFormat;
    static constexpr bool kK = true;
};
template <>
struct FormatOf<DType::Q3_K> {
    using F = Q3_KFormat;
    static constexpr bool kK = true;
};
template <>
struct FormatOf<DType::Q4_K> {
    using F = Q4_KFormat;
    static constexpr bool kK = true;
};
template <>
struct FormatOf<DType::Q5_K> {
    using F = Q5_KFormat;
    static constexpr bool kK = true;
};
template <>
struct FormatOf<DType::Q6_K> {
    using F = Q6_KFormat;
    static constexpr bool kK = true;
};

template <DType Type, class Isa, class Dot, KernelLevel Level>
const MatmulKernel* kernel_of() {
    constexpr bool k_quant = FormatOf<Type>::kK;
    static const MatmulKernel kernel{Type,
                                     k_quant ? DType::Q8_K : DType::Q8_0S,
                                     k_quant ? quantize_row_q8_k : quantize_row_q8_0s,
                                     panel_or_gemv_rows<Isa, Dot, FormatOf<Type>>,
                                     Isa::kRows,
                                     Level,
                                     /*interleaved_rows=*/true};
    return &kernel;
}

// The kernel of `type` at this level: panels of Isa::kRows rows for many inputs, Dot for few.
template <class Isa, class Dot, KernelLevel Level>
const MatmulKernel* quant_kernel(DType type) {
    switch (type) {
        case DType::Q8_0:
            return kernel_of<DType::Q8_0, Isa, Dot, Level>();
        case DType::Q4_0:
            return kernel_of<DType::Q4_0, Isa, Dot, Level>();
        case DType::Q4_1:
            return kernel_of<DType::Q4_1, Isa, Dot, Level>();
        case DType::Q5_0:
            return kernel_of<DType::Q5_0, Isa, Dot, Level>();
        case DType::Q5_1:
            return kernel_of<DType::Q5_1, Isa, Dot, Level>();
        case DType::Q2_K:
            return kernel_of<DType::Q2_K, Isa, Dot, Level>();
        case DType::Q3_K:
            return kernel_of<DType::Q3_K, Isa, Dot, Level>();
        case DType::Q4_K:
            return kernel_of<DType::Q4_K, Isa, Dot, Level>();
        case DType::Q5_K:
            return kernel_of<DType::Q5_K, Isa, Dot, Level>();
        case DType::Q6_K:
            return kernel_of<DType::Q6_K, Isa, Dot, Level>();
        default:
            return nullptr;
    }
}

}  // namespace
}  // namespace loom::simd
