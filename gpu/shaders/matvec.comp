#version 450
// y[t, r] = dot(w[r], x[t]) for a few tokens t (decode, short batches). The invocations computing a row
// stride over its columns and their partial sums are added up; tokens are taken one after the other (the
// row is read again from cache for the second token on).
//
// With USE_SUBGROUPS, each subgroup computes whole rows: a work group takes ROWS_PER_GROUP rows and shares
// them out among its subgroups, whatever their number and size, so no shared memory and no barrier is
// needed. Without, a work group computes one row and reduces through shared memory.
//
// Bindings: 0 weights (any stored type, see weights.glsl), 1 x [tokens, k] F32, 2 y [tokens, .] F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WORKGROUP_SIZE 64
#define ROWS_PER_GROUP 8  // with USE_SUBGROUPS; must match kMatvecSubgroupRows in gpu/kernels.h
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
    uint tokens;
} p;

#include "weights.glsl"

#ifdef USE_SUBGROUPS

void main() {
    // A subgroup larger than the work group runs partly filled: its active invocations are the group's.
    uint lanes = min(gl_SubgroupSize, WORKGROUP_SIZE);
    uint first_row = flat_workgroup() * ROWS_PER_GROUP;
    for (uint r = gl_SubgroupID; r < ROWS_PER_GROUP; r += gl_NumSubgroups) {
        uint row = first_row + r;
        if (row >= p.rows) break;  // the same for the whole subgroup
        uint row_byte = p.w_offset + row * p.w_row_bytes;
        for (uint t = 0; t < p.tokens; ++t) {
            uint x = p.x_offset + t * p.x_stride;
            float sum = 0.0;
            for (uint c = gl_SubgroupInvocationID; c < p.k; c += lanes) sum += weight_at(row_byte, c) * X[x + c];
            sum = subgroupAdd(sum);
            if (subgroupElect()) Y[p.y_offset + t * p.y_stride + row] = sum;
        }
    }
}

#else

#include "reduce.glsl"

void main() {
    uint row = flat_workgroup();
    if (row >= p.rows) return;  // the whole group: control flow stays uniform
    uint row_byte = p.w_offset + row * p.w_row_bytes;
    for (uint t = 0; t < p.tokens; ++t) {
        uint x = p.x_offset + t * p.x_stride;
        float sum = 0.0;
        for (uint c = gl_LocalInvocationID.x; c < p.k; c += WORKGROUP_SIZE) sum += weight_at(row_byte, c) * X[x + c];
        float total = workgroup_sum(sum);
        if (gl_LocalInvocationID.x == 0) Y[p.y_offset + t * p.y_stride + row] = total;
    }
}

#endif
