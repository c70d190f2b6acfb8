// Q5_K weights (GGUF): Q4_K with a 5th bit, in 176 bytes: fp16 d and dmin, 12 bytes of scales and
// minimums, qh[32] (bit 4 of value e is bit e / 32 of qh[e % 32]), then qs[128] packed as in Q4_K.
// value = (d * scale) * q - dmin * min.
#include "weights_k_scales.glsl"

const uint Q5_K_BLOCK_BYTES = 176u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 256u) * Q5_K_BLOCK_BYTES;
    uint e = col % 256u;
    uint low = (load_u8(block + 48u + 32u * (e / 64u) + e % 32u) >> (4u * ((e / 32u) % 2u))) & 15u;
    uint high = (load_u8(block + 16u + e % 32u) >> (e / 32u)) & 1u;
    uvec2 scale_min = k_scale_min(block + 4u, e / 32u);
    return (load_f16(block) * float(scale_min.x)) * float(low | (high << 4)) -
           load_f16(block + 2u) * float(scale_min.y);
}

// As Q4_K's chunk, plus bit e / 32 of 8 consecutive qh bytes.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 256u) * Q5_K_BLOCK_BYTES;
    uint e = col % 256u;
    vec2 d = unpackHalf2x16(load_u32(block));
    uvec2 scale_min = k_scale_min(block + 4u, e / 32u);
    float scale = d.x * float(scale_min.x), offset = d.y * float(scale_min.y);
    uvec2 q = load_8_bytes(block + 48u + 32u * (e / 64u) + e % 32u);
    uvec2 h = load_8_bytes(block + 16u + e % 32u);
    uint shift = 4u * ((e / 32u) % 2u), bit = e / 32u;
    lo = scale * vec4(byte_bits(q.x, shift, 15u) | (byte_bits(h.x, bit, 1u) << 4)) - offset;
    hi = scale * vec4(byte_bits(q.y, shift, 15u) | (byte_bits(h.y, bit, 1u) << 4)) - offset;
}
