#version 450
// y[t, r] = dot(w[r], x[t]) for many tokens (prefill): a tiled matrix product. Each work group computes a
// tile of TILE tokens x TILE weight rows, stepping through k in slices of TILE_K (a multiple of 8); each
// slice of x and of the weights (dequantized) is staged in shared memory and every invocation accumulates
// a 4 x 4 block of outputs from it, so each weight value read from memory serves up to TILE tokens.
//
// Bindings: 0 weights (any stored type, see weights.glsl), 1 x [tokens, k] F32, 2 y [tokens, .] F32,
// 3 bias [rows] F32 (added when has_bias is 1).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define TILE 64    // tokens and rows per work group; must match kMatmulTile in gpu/kernels.h
#define TILE_K 16
#define BLOCK 4    // outputs per invocation in each direction: (TILE / BLOCK)^2 = 256 invocations
layout(local_size_x = TILE / BLOCK, local_size_y = TILE / BLOCK) in;

layout(std430, binding = 0) readonly buffer Weights { uint W[]; };
layout(std430, binding = 1) readonly buffer Inputs { float X[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float Y[]; };
layout(std430, binding = 3) readonly buffer Biases { float B[]; };

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
    uint rows_per_group;  // matvec's only
    uint bias_offset;     // floats, at bias[row 0]
    uint has_bias;        // 0: binding 3 is a placeholder
} p;

#include "weights.glsl"

float bias_of(uint row) { return p.has_bias != 0u ? B[p.bias_offset + row] : 0.0; }

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
            x_tile[kk][r] = c < p.k && token0 + r < p.tokens ? X[p.x_offset + (token0 + r) * p.x_stride + c] : 0.0;
        }
        // Weights 8 columns at a time (one wide load, one scale: weight_chunk8), value by value only where
        // a chunk would pass the end of the row.
        for (uint e = local; e < TILE * TILE_K / 8u; e += invocations) {
            uint r = e / (TILE_K / 8u), kk = 8u * (e % (TILE_K / 8u)), c = k0 + kk;
            uint row_byte = p.w_offset + (row0 + r) * p.w_row_bytes;
            bool in_rows = row0 + r < p.rows;
            if (in_rows && c + 8u <= p.k) {
                vec4 lo, hi;
                weight_chunk8(row_byte, c, lo, hi);
                [[unroll]] for (uint i = 0; i < 4u; ++i) {
                    w_tile[kk + i][r] = lo[i];
                    w_tile[kk + 4u + i][r] = hi[i];
                }
            } else {
                [[unroll]] for (uint i = 0; i < 8u; ++i)
                    w_tile[kk + i][r] = in_rows && c + i < p.k ? weight_at(row_byte, c + i) : 0.0;
            }
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
            if (row < p.rows) Y[p.y_offset + token * p.y_stride + row] = sums[i][j] + bias_of(row);
        }
    }
}
