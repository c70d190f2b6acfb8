// Q4_K weights (GGUF): super-blocks of 256 values in 144 bytes: fp16 d and dmin, 12 bytes of 6-bit scales
// and minimums for the eight 32-value sub-blocks (weights_k_scales.glsl), qs[128]. Byte 32 * c + i holds
// value 64 * c + i in its low nibble and value 64 * c + 32 + i in its high one.
// value = (d * scale) * q - dmin * min.
#include "weights_k_scales.glsl"

const uint Q4_K_BLOCK_BYTES = 144u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 256u) * Q4_K_BLOCK_BYTES;
    uint e = col % 256u;
    uint q = (load_u8(block + 16u + 32u * (e / 64u) + e % 32u) >> (4u * ((e / 32u) % 2u))) & 15u;
    uvec2 scale_min = k_scale_min(block + 4u, e / 32u);
    return (load_f16(block) * float(scale_min.x)) * float(q) - load_f16(block + 2u) * float(scale_min.y);
}

// A chunk lies in one 32-value sub-block: its scale and minimum are unpacked once, d and dmin are one
// 32-bit read, and its q are one nibble of 8 consecutive qs bytes.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 256u) * Q4_K_BLOCK_BYTES;
    uint e = col % 256u;
    vec2 d = unpackHalf2x16(load_u32(block));
    uvec2 scale_min = k_scale_min(block + 4u, e / 32u);
    float scale = d.x * float(scale_min.x), offset = d.y * float(scale_min.y);
    uvec2 q = load_8_bytes(block + 16u + 32u * (e / 64u) + e % 32u);
    uint shift = 4u * ((e / 32u) % 2u);
    lo = scale * vec4(byte_bits(q.x, shift, 15u)) - offset;
    hi = scale * vec4(byte_bits(q.y, shift, 15u)) - offset;
}
