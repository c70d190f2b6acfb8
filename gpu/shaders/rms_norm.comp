#version 450
// y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, one work group per row.
// With ADD_RESIDUAL: first x[r] += delta[r] (written back), then the norm of the sum: the residual stream's
// add and the next block's norm in one kernel (Backend::add_rms_norm).
// Bindings: 0 x [rows, cols] F32, 1 weight [cols] F32, 2 y [rows, cols] F32 (may be x itself without
// ADD_RESIDUAL), 3 delta [rows, cols] F32 (ADD_RESIDUAL only).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WORKGROUP_SIZE 256  // decode normalises one row: as many invocations as a group may safely have
layout(local_size_x = WORKGROUP_SIZE) in;

#ifdef ADD_RESIDUAL
layout(std430, binding = 0) buffer Inputs { float X[]; };
layout(std430, binding = 3) readonly buffer Deltas { float D[]; };
#else
layout(std430, binding = 0) readonly buffer Inputs { float X[]; };
#endif
layout(std430, binding = 1) readonly buffer Weight { float Wt[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float Y[]; };

layout(push_constant) uniform Push {
    uint x_offset;
    uint weight_offset;
    uint y_offset;
    uint cols;
    uint rows;
    float eps;
#ifdef ADD_RESIDUAL
    uint delta_offset;
#endif
} p;

#include "reduce.glsl"

void main() {
    uint row = flat_workgroup();
    if (row >= p.rows) return;
    uint x = p.x_offset + row * p.cols, y = p.y_offset + row * p.cols;

    float sum_squares = 0.0;
    for (uint c = gl_LocalInvocationID.x; c < p.cols; c += WORKGROUP_SIZE) {
#ifdef ADD_RESIDUAL
        // Each invocation reads back only what it wrote, so no barrier is needed before the second loop.
        float value = X[x + c] + D[p.delta_offset + row * p.cols + c];
        X[x + c] = value;
#else
        float value = X[x + c];
#endif
        sum_squares += value * value;
    }
    float scale = 1.0 / sqrt(workgroup_sum(sum_squares) / float(p.cols) + p.eps);
    for (uint c = gl_LocalInvocationID.x; c < p.cols; c += WORKGROUP_SIZE)
        Y[y + c] = X[x + c] * scale * Wt[p.weight_offset + c];
}
