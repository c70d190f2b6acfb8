// Q4_1 weights (GGUF): blocks of 32 values, each an fp16 scale d and an fp16 minimum m followed by 16 bytes
// of 4-bit q packed as in Q4_0 (low nibbles: values 0..15, high nibbles: 16..31); value = d * q + m.
const uint Q4_1_BLOCK_BYTES = 20u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 32u) * Q4_1_BLOCK_BYTES;
    uint i = col % 32u;
    uint packed = load_u8(block + 4u + i % 16u);
    uint q = i < 16u ? packed & 15u : packed >> 4;
    return load_f16(block) * float(q) + load_f16(block + 2u);
}

// A chunk is 8 bytes of the block's nibbles, as in Q4_0; d and m are one 32-bit read.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 32u) * Q4_1_BLOCK_BYTES;
    uint i = col % 32u;
    vec2 dm = unpackHalf2x16(load_u32(block));
    uvec2 q = load_8_bytes(block + 4u + i % 16u);
    uint shift = i < 16u ? 0u : 4u;
    lo = dm.x * vec4(byte_bits(q.x, shift, 15u)) + dm.y;
    hi = dm.x * vec4(byte_bits(q.y, shift, 15u)) + dm.y;
}
