#version 450
// y[r] = (x[r] - mean) / sqrt(variance + eps) * weight + bias, one work group per row.
// Bindings: 0 x [rows, cols] F32, 1 weight [cols] F32, 2 bias [cols] F32 (any buffer when has_bias is 0),
// 3 y [rows, cols] F32 (may be x itself).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WORKGROUP_SIZE 128
layout(local_size_x = WORKGROUP_SIZE) in;

layout(std430, binding = 0) readonly buffer Inputs { float X[]; };
layout(std430, binding = 1) readonly buffer Weight { float Wt[]; };
layout(std430, binding = 2) readonly buffer Bias { float B[]; };
layout(std430, binding = 3) writeonly buffer Outputs { float Y[]; };

layout(push_constant) uniform Push {
    uint x_offset;
    uint weight_offset;
    uint bias_offset;
    uint y_offset;
    uint cols;
    uint rows;
    uint has_bias;
    float eps;
} p;

#include "reduce.glsl"

void main() {
    uint row = flat_workgroup();
    if (row >= p.rows) return;
    uint x = p.x_offset + row * p.cols, y = p.y_offset + row * p.cols;

    // Two passes (mean, then squared deviations) as the CPU does: one-pass variance loses precision.
    float sum = 0.0;
    for (uint c = gl_LocalInvocationID.x; c < p.cols; c += WORKGROUP_SIZE) sum += X[x + c];
    float mean = workgroup_sum(sum) / float(p.cols);
    float squares = 0.0;
    for (uint c = gl_LocalInvocationID.x; c < p.cols; c += WORKGROUP_SIZE) squares += (X[x + c] - mean) * (X[x + c] - mean);
    float inv_std = 1.0 / sqrt(workgroup_sum(squares) / float(p.cols) + p.eps);
    for (uint c = gl_LocalInvocationID.x; c < p.cols; c += WORKGROUP_SIZE) {
        float bias = p.has_bias != 0u ? B[p.bias_offset + c] : 0.0;
        Y[y + c] = (X[x + c] - mean) * inv_std * Wt[p.weight_offset + c] + bias;
    }
}
