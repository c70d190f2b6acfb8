#version 450
// Causal attention of one query (head h, token t) per work group over the cache, in one pass with an
// online softmax: keys are visited in tiles of WORKGROUP_SIZE positions (one per invocation); the running
// maximum m, the running sum s of exp(score - m) and the output accumulators are rescaled whenever m grows.
//
// Decoding runs only `heads` work groups, so the time is the latency of one group's chain of loads. To
// keep that chain short, the weighted sum of values spreads a tile's positions over `slots` groups of
// head_dim invocations (invocation i owns dimension i % head_dim for the positions of slot i / head_dim);
// the slots' sums are added once, at the end. Keys are read 16 bytes at a time where the layout allows.
//
// When probabilities are wanted, each invocation writes the raw scores of its positions into the probs
// row, and turns them into exp(score - m) / s once m and s are final (it reads back only its own writes).
//
// A dispatch covers heads head_begin .. head_begin + gl_NumWorkGroups.y - 1 and `tokens` tokens whose first
// one is at position pos0. Query head h reads KV head h / group.
//
// Bindings: 0 q [tokens, heads * head_dim], 1 keys and 2 values [context, kv_heads * head_dim],
// 3 out [tokens, heads * head_dim], 4 probs (rows (h - head_begin) * probs_head_rows + t, probs_cols wide;
// any buffer when write_probs is 0). All F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WORKGROUP_SIZE 256
#define MAX_HEAD_DIM 256  // must match kAttentionMaxHeadDim in gpu/kernels.h; at most WORKGROUP_SIZE
layout(local_size_x = WORKGROUP_SIZE) in;

layout(std430, binding = 0) readonly buffer Queries { float Q[]; };
layout(std430, binding = 1) readonly buffer Keys { float K[]; };
layout(std430, binding = 1) readonly buffer Keys4 { vec4 K4[]; };  // the same keys, 4 floats at a time
layout(std430, binding = 2) readonly buffer Values { float V[]; };
layout(std430, binding = 3) writeonly buffer Outputs { float O[]; };
layout(std430, binding = 4) buffer Probabilities { float P[]; };

layout(push_constant) uniform Push {
    uint q_offset;
    uint k_offset;
    uint v_offset;
    uint out_offset;
    uint probs_offset;
    uint row_stride;       // heads * head_dim: between tokens of q and out
    uint kv_stride;        // kv_heads * head_dim: between positions of the cache
    uint head_dim;
    uint group;            // query heads per KV head
    uint head_begin;
    uint pos0;             // position of the dispatch's first token
    uint probs_head_rows;  // probs rows between heads
    uint probs_cols;
    uint write_probs;
    float scale;
} p;

#include "reduce.glsl"

shared vec4 q_shared[MAX_HEAD_DIM / 4];
shared float weight_shared[WORKGROUP_SIZE];
shared float acc_shared[WORKGROUP_SIZE];

const float NO_SCORE = -3.0e38;  // below any real score; exp(NO_SCORE - m) is 0

float score_of(uint key) {
    float score = 0.0;
    // Uniform in practice: the cache's offset and row length are multiples of 4 for every head size in use.
    if ((p.head_dim & 3u) == 0u && (key & 3u) == 0u) {
        uint key4 = key / 4u, quads = p.head_dim / 4u;
        // Unrolled to the largest head, so that all of a key's loads are issued before the first returns.
        [[unroll]] for (uint d = 0; d < MAX_HEAD_DIM / 4u; ++d) {
            if (d >= quads) break;
            score += dot(q_shared[d], K4[key4 + d]);
        }
    } else {
        for (uint d = 0; d < p.head_dim; ++d) score += q_shared[d / 4u][d % 4u] * K[key + d];
    }
    return score;
}

void main() {
    uint local = gl_LocalInvocationID.x;
    uint t = gl_WorkGroupID.x, h = p.head_begin + gl_WorkGroupID.y;
    uint visible = p.pos0 + t + 1u;  // positions 0 .. pos0 + t
    uint kv_base = (h / p.group) * p.head_dim;
    uint probs_row = p.probs_offset + (gl_WorkGroupID.y * p.probs_head_rows + t) * p.probs_cols;
    uint slots = WORKGROUP_SIZE / p.head_dim;
    uint slot = local / p.head_dim, dim = local % p.head_dim;

    if (local < MAX_HEAD_DIM / 4u) q_shared[local] = vec4(0.0);
    barrier();
    for (uint d = local; d < p.head_dim; d += WORKGROUP_SIZE)
        q_shared[d / 4u][d % 4u] = Q[p.q_offset + t * p.row_stride + h * p.head_dim + d] * p.scale;
    barrier();

    float running_max = NO_SCORE, running_sum = 0.0, acc = 0.0;
    for (uint tile = 0; tile < visible; tile += WORKGROUP_SIZE) {
        uint j = tile + local;
        float score = NO_SCORE;
        if (j < visible) {
            score = score_of(p.k_offset + j * p.kv_stride + kv_base);
            if (p.write_probs != 0u) P[probs_row + j] = score;
        }
        float new_max = max(running_max, workgroup_max(score));
        float correction = exp(running_max - new_max);
        float weight = j < visible ? exp(score - new_max) : 0.0;
        running_sum = running_sum * correction + workgroup_sum(weight);
        running_max = new_max;
        weight_shared[local] = weight;
        barrier();

        if (slot < slots) {
            uint tile_length = min(WORKGROUP_SIZE, visible - tile);
            uint value = p.v_offset + tile * p.kv_stride + kv_base + dim;
            uint step = slots * p.kv_stride;
            // Eight positions at a time, their loads issued together: in decode this loop's latency is the
            // kernel's time.
            float sums[8];
            sums[0] = acc * correction;
            [[unroll]] for (uint u = 1; u < 8u; ++u) sums[u] = 0.0;
            uint i = slot;
            for (; i + 7u * slots < tile_length; i += 8u * slots) {
                uint at = value + i * p.kv_stride;
                float v[8];
                [[unroll]] for (uint u = 0; u < 8u; ++u) v[u] = V[at + u * step];
                [[unroll]] for (uint u = 0; u < 8u; ++u) sums[u] += weight_shared[i + u * slots] * v[u];
            }
            for (; i < tile_length; i += slots) sums[0] += weight_shared[i] * V[value + i * p.kv_stride];
            acc = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
        }
        barrier();  // weight_shared is rewritten by the next tile
    }

    // The slots' sums of each dimension, added by the invocations of slot 0.
    acc_shared[local] = acc;
    barrier();
    if (slot == 0u) {
        float total = 0.0;
        for (uint s = 0; s < slots; ++s) total += acc_shared[s * p.head_dim + dim];
        O[p.out_offset + t * p.row_stride + h * p.head_dim + dim] = total / running_sum;
    }
    if (p.write_probs != 0u) {
        for (uint j = local; j < p.probs_cols; j += WORKGROUP_SIZE)
            P[probs_row + j] = j < visible ? exp(P[probs_row + j] - running_max) / running_sum : 0.0;
    }
}
