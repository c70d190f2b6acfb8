// Reference kernels for quantized weights: the exact integer arithmetic every faster kernel reproduces.
//
// For one weight row and one activation row the result is the sum over blocks, in block order, of:
//
//   32-element formats with Q8_0S activations (d_x its float scale, s its code sum, ds = d_x * s, x its
//   codes):
//     Q8_0:        (d * d_x) * sum(q * x)
//     Q4_0, Q5_0:  (d * d_x) * (sum(q * x) - offset * s)        offset 8 or 16, q the unsigned code
//     Q4_1, Q5_1:  (d * d_x) * sum(q * x) + m * ds
//
//   K-quants with Q8_K activations (d_x its float scale, bsum[j] the code sums of its 16-element groups):
//     Q2_K, Q4_K, Q5_K: (d_x * d) * A - (d_x * dmin) * M,  A = sum_j sc_j * sum_j(q * x),
//                                                          M = sum_j m_j * (sum of x over sub-block j)
//     Q3_K, Q6_K:       (d_x * d) * A,  A = sum_j sc_j * (sum_j(q * x) - offset * bsum[j]),  offset 4 or 32
//   with q the unsigned codes and every sum over j an exact 32-bit integer.
#include <vector>

#include "kernels/quant/quant_codes.h"
#include "kernels/quant/quant_formats.h"
#include "kernels/quant/quant_matmul.h"
#include "util/half.h"

namespace loom {

namespace {

using namespace quant;

int dot32(const uint8_t* q, const int8_t* x) {
    int sum = 0;
    for (int i = 0; i < 32; ++i)
        sum += q[i] * x[i];
    return sum;
}

int dot16(const uint8_t* q, const int8_t* x) {
    int sum = 0;
    for (int i = 0; i < 16; ++i)
        sum += q[i] * x[i];
    return sum;
}

// ---- 32-element formats --------------------------------------------------------------------------------

// A weight block reduced to what the dot product needs: codes, fp16 scale and minimum, and the offset.
struct LegacyBlock {
    uint8_t q[32];
    int8_t signed_q[32];  // Q8_0 only
    float d = 0.0f, m = 0.0f;
    int offset = 0;  // subtracted from q (Q4_0: 8, Q5_0: 16)
    bool has_min = false, is_signed = false;
};

template <DType Type>
LegacyBlock legacy_block(const std::byte* row, int64_t b) {
    LegacyBlock out;
    if constexpr (Type == DType::Q8_0) {
        BlockQ8_0 block = read_block<BlockQ8_0>(row, b);
        std::copy(block.qs, block.qs + 32, out.signed_q);
        out.d = fp16_to_float(block.d);
        out.is_signed = true;
    } else if constexpr (Type == DType::Q4_0) {
        BlockQ4_0 block = read_block<BlockQ4_0>(row, b);
        unpack_nibbles32(block.qs, out.q);
        out.d = fp16_to_float(block.d);
        out.offset = 8;
    } else if constexpr (Type == DType::Q4_1) {
        BlockQ4_1 block = read_block<BlockQ4_1>(row, b);
        unpack_nibbles32(block.qs, out.q);
        out.d = fp16_to_float(block.d);
        out.m = fp16_to_float(block.m);
        out.has_min = true;
    } else if constexpr (Type == DType::Q5_0) {
        BlockQ5_0 block = read_block<BlockQ5_0>(row, b);
        unpack_5bit32(block.qs, block.qh, out.q);
        out.d = fp16_to_float(block.d);
        out.offset = 16;
    } else {
        static_assert(Type == DType::Q5_1);
        BlockQ5_1 block = read_block<BlockQ5_1>(row, b);
        unpack_5bit32(block.qs, block.qh, out.q);
        out.d = fp16_to_float(block.d);
        out.m = fp16_to_float(block.m);
        out.has_min = true;
    }
    return out;
}

float legacy_block_dot(const LegacyBlock& w, const BlockQ8_0S& x) {
    float dx = x.d;
    if (w.is_signed) {
        int sum = 0;
        for (int i = 0; i < 32; ++i)
            sum += w.signed_q[i] * x.qs[i];
        return (w.d * dx) * static_cast<float>(sum);
    }
    int sum = dot32(w.q, x.qs);
    if (w.has_min) return (w.d * dx) * static_cast<float>(sum) + w.m * x.dsum;
    return (w.d * dx) * static_cast<float>(sum - w.offset * x.sum);
}

template <DType Type>
void legacy_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    const int64_t blocks = p.k / 32;
    std::vector<float> sums(static_cast<size_t>(p.n));
    for (int64_t r = row_begin; r < row_end; ++r) {
        const std::byte* w = p.weights + r * static_cast<int64_t>(p.weight_row_bytes);
        std::fill(sums.begin(), sums.end(), 0.0f);
        for (int64_t b = 0; b < blocks; ++b) {
            LegacyBlock block = legacy_block<Type>(w, b);
            for (int64_t t = 0; t < p.n; ++t)
                sums[size_t(t)] +=
                    legacy_block_dot(block, read_block<BlockQ8_0S>(p.inputs + t * p.input_row_bytes, b));
        }
        for (int64_t t = 0; t < p.n; ++t)
            p.outputs[t * p.output_stride + r] = sums[size_t(t)];
    }
}

// ---- K-quants ------------------------------------------------------------------------------------------

// A super-block reduced to codes and integer sub-block scales: 8 sub-blocks of 32 or 16 of 16.
struct KBlock {
    uint8_t q[256];
    int sub_blocks = 16;
    int scales[16] = {};
    int mins[16] = {};  // scale-and-minimum formats
    float d = 0.0f, dmin = 0.0f;
    int offset = 0;  // signed formats: Q3_K 4, Q6_K 32
};

template <DType Type>
KBlock k_block(const std::byte* row, int64_t b) {
    KBlock out;
    if constexpr (Type == DType::Q2_K) {
        BlockQ2_K block = read_block<BlockQ2_K>(row, b);
        unpack_q2_k(block, out.q);
        for (int j = 0; j < 16; ++j) {
            out.scales[j] = block.scales[j] & 15;
            out.mins[j] = block.scales[j] >> 4;
        }
        out.d = fp16_to_float(block.d);
        out.dmin = fp16_to_float(block.dmin);
    } else if constexpr (Type == DType::Q3_K) {
        BlockQ3_K block = read_block<BlockQ3_K>(row, b);
        unpack_q3_k(block, out.q);
        for (int j = 0; j < 16; ++j)
            out.scales[j] = q3_k_scale(block.scales, j);
        out.d = fp16_to_float(block.d);
        out.offset = 4;
    } else if constexpr (Type == DType::Q4_K || Type == DType::Q5_K) {
        using Block = std::conditional_t<Type == DType::Q4_K, BlockQ4_K, BlockQ5_K>;
        Block block = read_block<Block>(row, b);
        if constexpr (Type == DType::Q4_K)
            unpack_k_nibbles(block.qs, out.q);
        else
            unpack_q5_k(block, out.q);
        out.sub_blocks = 8;
        for (int j = 0; j < 8; ++j) {
            ScaleMinCodes sm = k_scale_min(block.scales, j);
            out.scales[j] = sm.scale;
            out.mins[j] = sm.min;
        }
        out.d = fp16_to_float(block.d);
        out.dmin = fp16_to_float(block.dmin);
    } else {
        static_assert(Type == DType::Q6_K);
        BlockQ6_K block = read_block<BlockQ6_K>(row, b);
        unpack_q6_k(block, out.q);
        for (int j = 0; j < 16; ++j)
            out.scales[j] = block.scales[j];
        out.d = fp16_to_float(block.d);
        out.offset = 32;
    }
    return out;
}

float k_block_dot(const KBlock& w, const BlockQ8_K& x) {
    int scaled = 0, mins = 0;
    if (w.sub_blocks == 8) {
        for (int j = 0; j < 8; ++j) {
            scaled += w.scales[j] * dot32(w.q + 32 * j, x.qs + 32 * j);
            mins += w.mins[j] * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
        }
    } else {
        for (int j = 0; j < 16; ++j) {
            scaled += w.scales[j] * (dot16(w.q + 16 * j, x.qs + 16 * j) - w.offset * x.bsums[j]);
            mins += w.mins[j] * x.bsums[j];
        }
    }
    if (w.offset) return (x.d * w.d) * static_cast<float>(scaled);
    return (x.d * w.d) * static_cast<float>(scaled) - (x.d * w.dmin) * static_cast<float>(mins);
}

template <DType Type>
void k_rows(const MatmulProblem& p, int64_t row_begin, int64_t row_end) {
    const int64_t blocks = p.k / 256;
    std::vector<float> sums(static_cast<size_t>(p.n));
    for (int64_t r = row_begin; r < row_end; ++r) {
        const std::byte* w = p.weights + r * static_cast<int64_t>(p.weight_row_bytes);
        std::fill(sums.begin(), sums.end(), 0.0f);
        for (int64_t b = 0; b < blocks; ++b) {
            KBlock block = k_block<Type>(w, b);
            for (int64_t t = 0; t < p.n; ++t)
                sums[size_t(t)] +=
                    k_block_dot(block, read_block<BlockQ8_K>(p.inputs + t * p.input_row_bytes, b));
        }
        for (int64_t t = 0; t < p.n; ++t)
            p.outputs[t * p.output_stride + r] = sums[size_t(t)];
    }
}

void to_q8_0s(const float* x, int64_t k, std::byte* out) {
    quantize_q8_0s(x, k / 32, out);
}
void to_q8_k(const float* x, int64_t k, std::byte* out) {
    quantize_q8_k(x, k / 256, out);
}

constexpr MatmulKernel legacy(DType type, MatmulRowsFn fn) {
    return {type, DType::Q8_0S, to_q8_0s, fn, 1, KernelLevel::Scalar};
}
constexpr MatmulKernel k_quant(DType type, MatmulRowsFn fn) {
    return {type, DType::Q8_K, to_q8_k, fn, 1, KernelLevel::Scalar};
}

const MatmulKernel kQ8_0 = legacy(DType::Q8_0, legacy_rows<DType::Q8_0>);
const MatmulKernel kQ4_0 = legacy(DType::Q4_0, legacy_rows<DType::Q4_0>);
const MatmulKernel kQ4_1 = legacy(DType::Q4_1, legacy_rows<DType::Q4_1>);
const MatmulKernel kQ5_0 = legacy(DType::Q5_0, legacy_rows<DType::Q5_0>);
const MatmulKernel kQ5_1 = legacy(DType::Q5_1, legacy_rows<DType::Q5_1>);
const MatmulKernel kQ2_K = k_quant(DType::Q2_K, k_rows<DType::Q2_K>);
const MatmulKernel kQ3_K = k_quant(DType::Q3_K, k_rows<DType::Q3_K>);
const MatmulKernel kQ4_K = k_quant(DType::Q4_K, k_rows<DType::Q4_K>);
const MatmulKernel kQ5_K = k_quant(DType::Q5_K, k_rows<DType::Q5_K>);
const MatmulKernel kQ6_K = k_quant(DType::Q6_K, k_rows<DType::Q6_K>);

}  // namespace

const MatmulKernel* scalar_quant_matmul_kernel(DType weight_type) {
    switch (weight_type) {
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

}  // namespace loom
