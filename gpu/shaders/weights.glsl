// Reading weights of any stored type. The including shader declares the weights as `uint W[]` (the
// buffer's 32-bit words) and defines one of WEIGHT_F32, WEIGHT_F16, ... This file then defines
//
//     float weight_at(uint row_byte, uint col)
//
// the value in column `col` of the weight row that starts `row_byte` bytes into the binding. Matrix
// kernels (matvec, matmul) and embed are written once against it.
//
// Adding a weight type is one small file, weights_<type>.glsl, that defines weight_at() (dequantizing its
// blocks), plus its name in gpu/CMakeLists.txt's LOOM_GPU_WEIGHT_TYPES. Rows of every type start on a
// 2-byte boundary at least (4 for F32), which the helpers below rely on.

// The 16-bit value at byte `at` (even).
uint load_u16(uint at) {
    uint word = W[at >> 2];
    return (at & 2u) != 0u ? word >> 16 : word & 0xffffu;
}

// The byte at `at`.
uint load_u8(uint at) { return (W[at >> 2] >> ((at & 3u) * 8u)) & 0xffu; }

// The IEEE half-precision float at byte `at` (even).
float load_f16(uint at) { return unpackHalf2x16(load_u16(at)).x; }

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
#else
#error "define the weight type: WEIGHT_F32, WEIGHT_F16, ..."
#endif
