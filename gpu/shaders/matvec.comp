#version 450
// y[t, r] = dot(w[r], x[t]) for a few tokens t (decode, short batches): one work group per weight row.
// The invocations stride over the row's columns and their partial sums are reduced across the group.
//
// Bindings: 0 weights (any stored type, see weights.glsl), 1 x [tokens, k] F32, 2 y [tokens, .] F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WORKGROUP_SIZE 64
layout(local_size_x = WORKGROUP_SIZE) in;

layout(std430, binding = 0) readonly buffer Weights { uint W[]; };
layout(std430, binding = 1) readonly buffer Inputs { float X[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float Y[]; };

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
} p;

#include "reduce.glsl"
#include "weights.glsl"

void main() {
    uint row = flat_workgroup();
    if (row >= p.rows) return;  // the whole group: control flow stays uniform
    uint row_byte = p.w_offset + row * p.w_row_bytes;

    // Token by token: the row is re-read from cache for the second token on, which costs less than
    // keeping every token's sum in flight and testing for each column which tokens exist.
    for (uint t = 0; t < p.tokens; ++t) {
        uint x = p.x_offset + t * p.x_stride;
        float sum = 0.0;
        for (uint c = gl_LocalInvocationID.x; c < p.k; c += WORKGROUP_SIZE) sum += weight_at(row_byte, c) * X[x + c];
        float total = workgroup_sum(sum);
        if (gl_LocalInvocationID.x == 0) Y[p.y_offset + t * p.y_stride + row] = total;
    }
}
