// AVX-512 VNNI kernels for quantized weights: below kPrefillInputs inputs the few-input kernels of
// simd_gemv.h (on 256-bit vectors with the EVEX VNNI instructions), from there on the packed-panel kernel of
// simd_gemm512.h. CPUs with AVX-512 but without VNNI use the AVX2 kernels.
#include "kernels/quant/simd_gemm512.h"
#include "kernels/quant/simd_tables.h"
#include "util/cpu_features.h"

namespace loom {

namespace {

// From this many inputs on, packing a panel of weights pays for itself.
constexpr int64_t kPrefillInputs = 8;

template <DType Type>
struct Avx512Rows {
    static void run(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
        using Format = simd::FormatOf<Type>;
        using F = typename Format::F;
        if (p.n < kPrefillInputs)
            simd::gemv_only_rows<simd::Avx512VnniDot, Type>(p, row_begin, row_end);
        else if constexpr (Format::kK)
            simd::gemm_rows<simd::KPanel<F>>(p, row_begin, row_end);
        else
            simd::gemm_rows<simd::LegacyPanel<F>>(p, row_begin, row_end);
    }
};

}  // namespace

const MatmulKernel* avx512_quant_matmul_kernel(DType weight_type) {
    if (!cpu_features().avx512_vnni) return nullptr;
    return simd::quant_kernel<Avx512Rows, KernelLevel::Avx512, simd::kPanelRows>(weight_type);
}

}  // namespace loom
