// AVX2 kernels for quantized weights: the few-input kernels of simd_gemv.h, four inputs at a time for any
// number of inputs. On CPUs with AVX-VNNI the variant built from the same templates in
// quant_matmul_avxvnni.cpp is used instead.
#include "kernels/quant/simd_tables.h"
#include "util/cpu_features.h"

namespace loom {

const MatmulKernel* avxvnni_quant_matmul_kernel(DType weight_type);  // nullptr when not compiled in

namespace {

template <DType Type>
struct Avx2Rows {
    static void run(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
        simd::gemv_only_rows<simd::Avx2Dot, Type>(p, row_begin, row_end);
    }
};

}  // namespace

const MatmulKernel* avx2_quant_matmul_kernel(DType weight_type) {
    if (cpu_features().avx_vnni)
        if (const MatmulKernel* vnni = avxvnni_quant_matmul_kernel(weight_type)) return vnni;
    return simd::quant_kernel<Avx2Rows, KernelLevel::Avx2, 1>(weight_type);
}

}  // namespace loom
