// Q5_1 weights (GGUF): Q5_0's 5-bit q with an fp16 minimum m after the scale d (d, m, qh, 16 bytes of low
// nibbles); value = d * q + m.
const uint Q5_1_BLOCK_BYTES = 24u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 32u) * Q5_1_BLOCK_BYTES;
    uint i = col % 32u;
    uint high = (load_u32(block + 4u) >> i) & 1u;
    uint packed = load_u8(block + 8u + i % 16u);
    uint q = (i < 16u ? packed & 15u : packed >> 4) | (high << 4);
    return load_f16(block) * float(q) + load_f16(block + 2u);
}

// As Q5_0's chunk, with d and m one 32-bit read.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 32u) * Q5_1_BLOCK_BYTES;
    uint i = col % 32u;
    vec2 dm = unpackHalf2x16(load_u32(block));
    uint high = load_u8(block + 4u + i / 8u);
    uvec2 q = load_8_bytes(block + 8u + i % 16u);
    uint shift = i < 16u ? 0u : 4u;
    lo = dm.x * vec4(byte_bits(q.x, shift, 15u) | (bits4(high, 0u) << 4)) + dm.y;
    hi = dm.x * vec4(byte_bits(q.y, shift, 15u) | (bits4(high, 4u) << 4)) + dm.y;
}
