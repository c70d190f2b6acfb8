// Row-wise operations on F32 activations: the scalar definitions used by the CPU backend (and the references
// the Vulkan shaders are tested against). Each works on one row (one token) or one head.
#pragma once

#include <cstdint>

namespace loom {

// out = x / sqrt(mean(x^2) + eps) * weight
void rms_norm_row(const float* x, const float* weight, int64_t n, float eps, float* out);

// out = (x - mean) / sqrt(var + eps) * weight + bias   (bias may be null)
void layer_norm_row(const float* x, const float* weight, const float* bias, int64_t n, float eps, float* out);

// x = exp(x - max) / sum(exp(x - max)); returns log(sum(exp(x))) of the x before, max + log(sum(exp(x -
// max))): what it takes to merge the softmaxes of parts of a row (attention split by positions). -infinity
// when n is 0.
float softmax_row(float* x, int64_t n);

// The index of the largest value: the first of equal ones, NaNs skipped; 0 when there is no number (or n is
// 0). Greedy decoding picks the next token with it.
int64_t argmax_row(const float* x, int64_t n);

// out = silu(gate) * up, silu(g) = g / (1 + exp(-g))
void swiglu_row(const float* gate, const float* up, int64_t n, float* out);

// Rotary position embedding of one head in place. Pairs are (i, i + rotary_dims/2) for the "halves" layout
// of Hugging Face and GPT-NeoX, (2i, 2i + 1) for the interleaved layout of the original Llama and GGUF.
// Dimensions from rotary_dims to the head's end are left alone (partial rotary, as in Pythia).
struct RopeRow {
    const float* inv_freq;  // [rotary_dims / 2]: the angle per position of each pair
    int rotary_dims;
    bool interleaved;
};
void rope_head(float* head, const RopeRow& rope, int64_t position);

// The same in two steps, so that the angles of a position are computed once for all its heads:
// cos/sin[i] = cos/sin(position * inv_freq[i]) (in double precision), then the rotation of one head.
void rope_angles(const RopeRow& rope, int64_t position, float* cos, float* sin);
void rope_rotate(float* head, const RopeRow& rope, const float* cos, const float* sin);

}  // namespace loom
