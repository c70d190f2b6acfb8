#version 450
// y[t, r] = dot(w[r], x[t]) for many tokens (prefill): a tiled matrix product. Each work group computes a
// tile of TILE tokens x TILE weight rows, stepping through k in slices of TILE_K; each slice of x and of the
// weights (dequantized) is staged in shared memory and every invocation accumulates a 4 x 4 block of
// outputs from it, so each weight value read from memory serves up to TILE tokens.
//
// Bindings: 0 weights (any stored type, see weights.glsl), 1 x [tokens, k] F32, 2 y [tokens, .] F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define TILE 64    // tokens and rows per work group; must match kMatmulTile in gpu/kernels.h
#define TILE_K 16
#define BLOCK 4    // outputs per invocation in each direction: (TILE / BLOCK)^2 = 256 invocations
layout(local_size_x = TILE / BLOCK, local_size_y = TILE / BLOCK) in;

layout(std430, binding = 0) readonly buffer Weights { uint W[]; };
layout(std430, binding = 1) readonly buffer Inputs { float X[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float Y[]; };

layout(push_constant) uniform Push {
    uint w_offset;
    uint w_row_bytes;
    uint x_offset;
    uint x_stride;
    uint y_offset;
    uint y_stride;
    uint k;
    uint rows;
    uint tokens;
    uint rows_per_group;  // unused: the push constants are matvec's
} p;

#include "weights.glsl"

// [k within the slice][token or row within the tile]; the +1 keeps columns in different banks.
shared float x_tile[TILE_K][TILE + 1];
shared float w_tile[TILE_K][TILE + 1];

void main() {
    uint row0 = gl_WorkGroupID.x * TILE, token0 = gl_WorkGroupID.y * TILE;
    uint local = gl_LocalInvocationIndex;
    const uint invocations = (TILE / BLOCK) * (TILE / BLOCK);

    float sums[BLOCK][BLOCK];
    [[unroll]] for (uint i = 0; i < BLOCK; ++i)
        [[unroll]] for (uint j = 0; j < BLOCK; ++j) sums[i][j] = 0.0;

    for (uint k0 = 0; k0 < p.k; k0 += TILE_K) {
        // Consecutive invocations load consecutive columns of one row: coalesced reads.
        for (uint e = local; e < TILE * TILE_K; e += invocations) {
            uint r = e / TILE_K, kk = e % TILE_K, c = k0 + kk;
            bool in_k = c < p.k;
            w_tile[kk][r] = in_k && row0 + r < p.rows ? weight_at(p.w_offset + (row0 + r) * p.w_row_bytes, c) : 0.0;
            x_tile[kk][r] = in_k && token0 + r < p.tokens ? X[p.x_offset + (token0 + r) * p.x_stride + c] : 0.0;
        }
        barrier();
        for (uint kk = 0; kk < TILE_K; ++kk) {
            float xs[BLOCK], ws[BLOCK];
            [[unroll]] for (uint i = 0; i < BLOCK; ++i) xs[i] = x_tile[kk][gl_LocalInvocationID.y * BLOCK + i];
            [[unroll]] for (uint j = 0; j < BLOCK; ++j) ws[j] = w_tile[kk][gl_LocalInvocationID.x * BLOCK + j];
            [[unroll]] for (uint i = 0; i < BLOCK; ++i)
                [[unroll]] for (uint j = 0; j < BLOCK; ++j) sums[i][j] += xs[i] * ws[j];
        }
        barrier();
    }

    [[unroll]] for (uint i = 0; i < BLOCK; ++i) {
        uint token = token0 + gl_LocalInvocationID.y * BLOCK + i;
        if (token >= p.tokens) break;
        [[unroll]] for (uint j = 0; j < BLOCK; ++j) {
            uint row = row0 + gl_LocalInvocationID.x * BLOCK + j;
            if (row < p.rows) Y[p.y_offset + token * p.y_stride + row] = sums[i][j];
        }
    }
}
