#version 450
// out = silu(gate) * up, silu(g) = g / (1 + exp(-g)), element-wise.
// Bindings: 0 gate F32, 1 up F32, 2 out F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer Gate { float G[]; };
layout(std430, binding = 1) readonly buffer Up { float U[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float O[]; };

layout(push_constant) uniform Push {
    uint gate_offset;
    uint up_offset;
    uint out_offset;
    uint count;
} p;

void main() {
    uint i = flat_workgroup() * 256 + gl_LocalInvocationID.x;
    if (i >= p.count) return;
    float g = G[p.gate_offset + i];
    O[p.out_offset + i] = g / (1.0 + exp(-g)) * U[p.up_offset + i];
}
