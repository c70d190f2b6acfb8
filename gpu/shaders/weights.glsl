// Reading weights of any stored type. The including shader declares the weights as `uint W[]` (the
// buffer's 32-bit words) and defines one of WEIGHT_F32, WEIGHT_F16, ... This file then defines
//
//     float weight_at(uint row_byte, uint col)
//
// the value in column `col` of the weight row that starts `row_byte` bytes into the binding, and
//
//     void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi)
//
// the 8 values in columns col .. col + 7 (col a multiple of 8, all 8 inside the row; every quantized
// block holds a multiple of 8 values, so a chunk never straddles two blocks). Matrix kernels (matvec,
// matmul) and embed are written once against these two.
//
// Adding a weight type is one small file, weights_<type>.glsl, that defines weight_at() (dequantizing its
// blocks), plus its name in gpu/CMakeLists.txt's LOOM_GPU_WEIGHT_TYPES. Defining weight_chunk8() too (and
// WEIGHT_HAS_CHUNK8) is optional: it lets a type load its bytes in wide pieces and decode its scale once
// per chunk, which is what makes decode fast on a GPU; without, the chunk is read value by value. Rows of
// every type start on a 2-byte boundary at least (4 for F32), which the helpers below rely on: Q5_0, Q3_K
// and Q6_K blocks are 22, 110 and 210 bytes long, so their rows and blocks may start half-way into a word.

// The 16-bit value at byte `at` (even).
uint load_u16(uint at) {
    uint word = W[at >> 2];
    return (at & 2u) != 0u ? word >> 16 : word & 0xffffu;
}

// The byte at `at`.
uint load_u8(uint at) { return (W[at >> 2] >> ((at & 3u) * 8u)) & 0xffu; }

// The 32-bit little-endian value at byte `at` (even), which may straddle two words: one load when `at` is a
// multiple of 4, two when it is not.
uint load_u32(uint at) {
    uint i = at >> 2;
    if ((at & 2u) == 0u) return W[i];
    return (W[i] >> 16) | (W[i + 1u] << 16);
}

// The IEEE half-precision float at byte `at` (even).
float load_f16(uint at) { return unpackHalf2x16(load_u16(at)).x; }

// The 8 bytes at `at` (even), as two little-endian words: two loads when `at` is a multiple of 4, three
// and some shifting when it is not (rows of 2-byte types with an odd width, quantized blocks of 34 or 18
// bytes).
uvec2 load_8_bytes(uint at) {
    uint i = at >> 2;
    if ((at & 2u) == 0u) return uvec2(W[i], W[i + 1u]);
    uint a = W[i], b = W[i + 1u], c = W[i + 2u];
    return uvec2((a >> 16) | (b << 16), (b >> 16) | (c << 16));
}

// The bits `shift` .. of each of the four bytes of a word, masked by `mask`, lowest byte first: the four
// fields of one kind (a nibble, a 2-bit pair, a bit) of four packed values, in one vector operation.
uvec4 byte_bits(uint word, uint shift, uint mask) {
    return (uvec4(word) >> (uvec4(0u, 8u, 16u, 24u) + shift)) & mask;
}

// Bits `first` .. `first` + 3 of a word, one per component (Q5_0's and Q5_1's qh: a bit per value).
uvec4 bits4(uint word, uint first) { return (uvec4(word) >> (uvec4(0u, 1u, 2u, 3u) + first)) & 1u; }

// The four signed bytes of a word, lowest first.
vec4 unpack_i8x4(uint word) {
    int w = int(word);
    return vec4(bitfieldExtract(w, 0, 8), bitfieldExtract(w, 8, 8), bitfieldExtract(w, 16, 8),
                bitfieldExtract(w, 24, 8));
}

#if defined(WEIGHT_F32)
#include "weights_f32.glsl"
#elif defined(WEIGHT_F16)
#include "weights_f16.glsl"
#elif defined(WEIGHT_BF16)
#include "weights_bf16.glsl"
#elif defined(WEIGHT_Q8_0)
#include "weights_q8_0.glsl"
#elif defined(WEIGHT_Q4_0)
#include "weights_q4_0.glsl"
#elif defined(WEIGHT_Q4_1)
#include "weights_q4_1.glsl"
#elif defined(WEIGHT_Q5_0)
#include "weights_q5_0.glsl"
#elif defined(WEIGHT_Q5_1)
#include "weights_q5_1.glsl"
#elif defined(WEIGHT_Q2_K)
#include "weights_q2_k.glsl"
#elif defined(WEIGHT_Q3_K)
#include "weights_q3_k.glsl"
#elif defined(WEIGHT_Q4_K)
#include "weights_q4_k.glsl"
#elif defined(WEIGHT_Q5_K)
#include "weights_q5_k.glsl"
#elif defined(WEIGHT_Q6_K)
#include "weights_q6_k.glsl"
#else
#error "define the weight type: WEIGHT_F32, WEIGHT_F16, ..."
#endif

#ifndef WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    lo = vec4(weight_at(row_byte, col), weight_at(row_byte, col + 1u), weight_at(row_byte, col + 2u),
              weight_at(row_byte, col + 3u));
    hi = vec4(weight_at(row_byte, col + 4u), weight_at(row_byte, col + 5u), weight_at(row_byte, col + 6u),
              weight_at(row_byte, col + 7u));
}
#endif
