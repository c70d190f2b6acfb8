#version 450
// y[t, r] = dot(w[r], x[t]) for a few tokens t (decode, short batches). Decoding reads every weight once
// per token, so this kernel is about keeping many weight loads in flight: each invocation takes chunks of 8
// columns (weight_chunk8: one wide load and one scale per chunk), two chunks per step, and uses each chunk
// for every token of the batch before moving on, so the weights are read once whatever the batch.
//
// With USE_SUBGROUPS and a tall matrix, each subgroup computes whole rows: a work group takes
// p.rows_per_group rows (the host makes that its number of subgroups, WORKGROUP_SIZE / the device's
// subgroup size) and shares them out among its subgroups, whatever their actual number and size, so no
// shared memory and no barrier is needed. Otherwise (p.rows_per_group = 1, and always without subgroups)
// a work group computes one row and reduces through shared memory.
//
// Bindings: 0 weights (any stored type, see weights.glsl), 1 x [tokens, k] F32, 2 y [tokens, .] F32,
// 3 bias [rows] F32 (added when has_bias is 1).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WORKGROUP_SIZE 128  // must match kMatvecGroup in gpu/kernels.h
#define MAX_TOKENS 8      // must match kMatvecMaxTokens in gpu/kernels.h
layout(local_size_x = WORKGROUP_SIZE) in;

layout(std430, binding = 0) readonly buffer Weights { uint W[]; };
layout(std430, binding = 1) readonly buffer Inputs { float X[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float Y[]; };
layout(std430, binding = 3) readonly buffer Biases { float B[]; };

layout(push_constant) uniform Push {
    uint w_offset;     // bytes from the binding's start to row 0
    uint w_row_bytes;
    uint x_offset;     // floats
    uint x_stride;     // floats between tokens
    uint y_offset;     // floats, at y[0, row 0]
    uint y_stride;
    uint k;            // columns
    uint rows;         // weight rows in this dispatch
    uint tokens;       // at most MAX_TOKENS
    uint rows_per_group;
    uint bias_offset;     // floats, at bias[row 0]
    uint has_bias;        // 0: binding 3 is a placeholder
} p;

#include "weights.glsl"

float bias_of(uint row) { return p.has_bias != 0u ? B[p.bias_offset + row] : 0.0; }

float partial[MAX_TOKENS];  // this invocation's share of each token's dot product

void add_chunk(uint col, vec4 lo, vec4 hi) {
    [[unroll]] for (uint t = 0; t < MAX_TOKENS; ++t) {
        if (t >= p.tokens) break;
        uint x = p.x_offset + t * p.x_stride + col;
        partial[t] += dot(lo, vec4(X[x], X[x + 1u], X[x + 2u], X[x + 3u])) +
                      dot(hi, vec4(X[x + 4u], X[x + 5u], X[x + 6u], X[x + 7u]));
    }
}

// Sets partial[] to the sums over this invocation's columns of the row at `row_byte`: the chunks
// first, first + stride, ... (both chunks of a step are loaded before either is used), then the columns
// after the last whole chunk one by one.
void accumulate(uint row_byte, uint first, uint stride) {
    [[unroll]] for (uint t = 0; t < MAX_TOKENS; ++t) partial[t] = 0.0;
    uint chunks = p.k / 8u;
    uint c = first;
    for (; c + stride < chunks; c += 2u * stride) {
        vec4 lo0, hi0, lo1, hi1;
        weight_chunk8(row_byte, 8u * c, lo0, hi0);
        weight_chunk8(row_byte, 8u * (c + stride), lo1, hi1);
        add_chunk(8u * c, lo0, hi0);
        add_chunk(8u * (c + stride), lo1, hi1);
    }
    if (c < chunks) {
        vec4 lo, hi;
        weight_chunk8(row_byte, 8u * c, lo, hi);
        add_chunk(8u * c, lo, hi);
    }
    for (uint col = 8u * chunks + first; col < p.k; col += stride) {
        float w = weight_at(row_byte, col);
        [[unroll]] for (uint t = 0; t < MAX_TOKENS; ++t) {
            if (t >= p.tokens) break;
            partial[t] += w * X[p.x_offset + t * p.x_stride + col];
        }
    }
}

#include "reduce.glsl"

// The whole work group on one row: for matrices of few rows (and long ones), which would otherwise keep
// too few invocations busy.
void row_per_group() {
    uint row = flat_workgroup();
    if (row >= p.rows) return;  // the whole group: control flow stays uniform
    accumulate(p.w_offset + row * p.w_row_bytes, gl_LocalInvocationID.x, WORKGROUP_SIZE);
    [[unroll]] for (uint t = 0; t < MAX_TOKENS; ++t) {
        if (t >= p.tokens) break;
        float total = workgroup_sum(partial[t]);
        if (gl_LocalInvocationID.x == 0) Y[p.y_offset + t * p.y_stride + row] = total + bias_of(row);
    }
}

#ifdef USE_SUBGROUPS

void main() {
    if (p.rows_per_group == 1u) {
        row_per_group();
        return;
    }
    // A subgroup larger than the work group runs partly filled: its active invocations are the group's.
    uint lanes = min(gl_SubgroupSize, WORKGROUP_SIZE);
    uint first_row = flat_workgroup() * p.rows_per_group;
    for (uint r = gl_SubgroupID; r < p.rows_per_group; r += gl_NumSubgroups) {
        uint row = first_row + r;
        if (row >= p.rows) break;  // the same for the whole subgroup
        accumulate(p.w_offset + row * p.w_row_bytes, gl_SubgroupInvocationID, lanes);
        [[unroll]] for (uint t = 0; t < MAX_TOKENS; ++t) {
            if (t >= p.tokens) break;
            float sum = subgroupAdd(partial[t]);
            if (subgroupElect()) Y[p.y_offset + t * p.y_stride + row] = sum + bias_of(row);
        }
    }
}

#else

void main() { row_per_group(); }

#endif
