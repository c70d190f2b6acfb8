#version 450
// Rotary position embedding in place: every head of every row, row r at position pos0 + r. One invocation
// per rotating pair: (2i, 2i+1) when interleaved (GGUF Llama), else (i, i + rotary_dims/2) (Hugging Face);
// dimensions from rotary_dims to head_dim are left alone (partial rotary).
//
// The angle position * inv_freq grows to thousands of radians, where a float has lost the digits cos and
// sin need. With USE_FLOAT64 the angle is formed and reduced to [-pi, pi] in double precision (exactly as
// the CPU computes it) and only then rounded to float; without, it is a float product, as PyTorch does.
//
// Bindings: 0 x [rows, heads * head_dim] F32, 1 inv_freq [rotary_dims / 2] F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) buffer Values { float X[]; };
layout(std430, binding = 1) readonly buffer Frequencies { float F[]; };

layout(push_constant) uniform Push {
    uint x_offset;
    uint freq_offset;
    uint rows;
    uint heads;
    uint head_dim;
    uint pairs;  // rotary_dims / 2
    uint interleaved;
    uint pos0;
} p;

float reduced_angle(uint position, float inv_freq) {
#ifdef USE_FLOAT64
    const double TWO_PI = 6.283185307179586476925286766559LF;
    double angle = double(position) * double(inv_freq);  // exact: 32 x 24 significant bits
    return float(angle - TWO_PI * floor(angle / TWO_PI + 0.5LF));
#else
    return float(position) * inv_freq;
#endif
}

void main() {
    uint i = flat_workgroup() * 256 + gl_LocalInvocationID.x;
    if (i >= p.rows * p.heads * p.pairs) return;
    uint pair = i % p.pairs, head = (i / p.pairs) % p.heads, row = i / (p.pairs * p.heads);

    float angle = reduced_angle(p.pos0 + row, F[p.freq_offset + pair]);
    float c = cos(angle), s = sin(angle);
    uint base = p.x_offset + (row * p.heads + head) * p.head_dim;
    uint a = p.interleaved != 0u ? base + 2u * pair : base + pair;
    uint b = p.interleaved != 0u ? a + 1u : base + pair + p.pairs;
    float x0 = X[a], x1 = X[b];
    X[a] = x0 * c - x1 * s;
    X[b] = x1 * c + x0 * s;
}
