#version 450
// y += x, element-wise. Bindings: 0 y F32, 1 x F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) buffer Outputs { float Y[]; };
layout(std430, binding = 1) readonly buffer Inputs { float X[]; };

layout(push_constant) uniform Push {
    uint y_offset;
    uint x_offset;
    uint count;
} p;

void main() {
    uint i = flat_workgroup() * 256 + gl_LocalInvocationID.x;
    if (i < p.count) Y[p.y_offset + i] += X[p.x_offset + i];
}
