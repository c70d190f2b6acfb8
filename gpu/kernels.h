// The push constants of every kernel in shaders/, as C++ structs, and the constants the host side of a
// kernel shares with its shader. Each struct lists its members in the order of the shader's `Push` block;
// pipelines check the sizes against the SPIR-V at every dispatch.
//
// Offsets are counted in elements of the buffer as the shader declares it (floats, ints), except for
// weights, whose types have different sizes: `w_offset` and `w_row_bytes` are bytes.
#pragma once

#include <cstdint>

namespace loom::gpu {

// Batches of up to this many tokens use matvec.comp (a pass over the weights per token); longer ones use
// matmul.comp (tiles that reuse each weight for many tokens).
constexpr int64_t kMatvecMaxTokens = 8;
// Invocations per work group of matvec.comp (WORKGROUP_SIZE). Its subgroup variant computes one row per
// subgroup at a time and is given WORKGROUP_SIZE / subgroup size rows per group, for matrices of at least
// kMatvecTallRows rows (of any size on a CPU device); shorter ones (and the portable variant) get a work
// group per row, so that enough invocations load weights at once.
constexpr int64_t kMatvecGroup = 128;
constexpr int64_t kMatvecTallRows = 4096;
// matmul.comp computes tiles of this many tokens x weight rows (TILE).
constexpr int64_t kMatmulTile = 64;
// attention.comp holds a head of at most this many dimensions (MAX_HEAD_DIM).
constexpr int64_t kAttentionMaxHeadDim = 256;
// Invocations per work group of the element-wise kernels (add, add_bias, swiglu, rope).
constexpr int64_t kElementwiseGroup = 256;
// ... of embed.comp, along a row.
constexpr int64_t kEmbedGroup = 64;

// matvec.comp and matmul.comp: y[t, r] = dot(w[r], x[t]) (+ bias[r]).
struct MatmulPush {
    uint32_t w_offset, w_row_bytes;
    uint32_t x_offset, x_stride;
    uint32_t y_offset, y_stride;
    uint32_t k, rows, tokens;
    uint32_t rows_per_group;  // matvec's subgroup variant only
    uint32_t bias_offset;     // floats, at bias[row 0]
    uint32_t has_bias;        // 0: the bias binding is a placeholder
};

// stream_read.comp (the bandwidth probe) runs this many work groups of this many invocations.
constexpr int64_t kStreamReadGroups = 4096;
constexpr int64_t kStreamReadGroupSize = 256;
struct StreamReadPush {
    uint32_t count;
};

// embed.comp
struct EmbedPush {
    uint32_t w_offset, w_row_bytes;
    uint32_t first_row, row_count;
    uint32_t cols;
    uint32_t tokens_offset;
    uint32_t out_offset, out_stride;
};

// add.comp
struct AddPush {
    uint32_t y_offset, x_offset, count;
};

// add_bias.comp
struct AddBiasPush {
    uint32_t y_offset, bias_offset, cols, count;
};

// swiglu.comp
struct SwigluPush {
    uint32_t gate_offset, up_offset, out_offset, count;
};

// rms_norm.comp
struct RmsNormPush {
    uint32_t x_offset, weight_offset, y_offset, cols, rows;
    float eps;
};
// rms_norm.comp with ADD_RESIDUAL (add_rms_norm)
struct AddRmsNormPush {
    RmsNormPush norm;
    uint32_t delta_offset;
};

// layer_norm.comp
struct LayerNormPush {
    uint32_t x_offset, weight_offset, bias_offset, y_offset, cols, rows, has_bias;
    float eps;
};

// rope.comp
struct RopePush {
    uint32_t x_offset, freq_offset, rows, heads, head_dim, pairs, interleaved, pos0;
};

// attention.comp
struct AttentionPush {
    uint32_t q_offset, k_offset, v_offset, out_offset, probs_offset;
    uint32_t row_stride, kv_stride, head_dim, group, head_begin, pos0;
    uint32_t probs_head_rows, probs_cols, write_probs;
    float scale;
};

}  // namespace loom::gpu
