#version 450
// y[r, c] += bias[c] for every row r. Bindings: 0 y [rows, cols] F32, 1 bias [cols] F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) buffer Outputs { float Y[]; };
layout(std430, binding = 1) readonly buffer Bias { float B[]; };

layout(push_constant) uniform Push {
    uint y_offset;
    uint bias_offset;
    uint cols;
    uint count;  // rows * cols
} p;

void main() {
    uint i = flat_workgroup() * 256 + gl_LocalInvocationID.x;
    if (i < p.count) Y[p.y_offset + i] += B[p.bias_offset + i % p.cols];
}
