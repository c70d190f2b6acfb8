#version 450
// out[t] = table[tokens[t]] as F32. A large table may be bound in pieces of rows: a dispatch covers table
// rows first_row .. first_row + row_count - 1 and fills only the tokens whose rows it holds.
//
// Bindings: 0 table (any stored type, see weights.glsl), 1 token ids (int32), 2 out [tokens, cols] F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Weights { uint W[]; };
layout(std430, binding = 1) readonly buffer Tokens { int token_ids[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float O[]; };

layout(push_constant) uniform Push {
    uint w_offset;
    uint w_row_bytes;
    uint first_row;
    uint row_count;
    uint cols;
    uint tokens_offset;  // ints
    uint out_offset;     // floats
    uint out_stride;
} p;

#include "weights.glsl"

void main() {
    uint col = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    if (col >= p.cols) return;
    // Token ids were checked on the host; unsigned wrap-around skips rows before first_row too.
    uint row = uint(token_ids[p.tokens_offset + t]) - p.first_row;
    if (row >= p.row_count) return;
    O[p.out_offset + t * p.out_stride + col] = weight_at(p.w_offset + row * p.w_row_bytes, col);
}
