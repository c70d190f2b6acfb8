// Q4_0 weights (GGUF): blocks of 32 values, each an fp16 scale d followed by 16 bytes of 4-bit q: the low
// nibbles hold values 0..15 of the block, the high nibbles values 16..31; value = d * (q - 8).
const uint Q4_0_BLOCK_BYTES = 18u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 32u) * Q4_0_BLOCK_BYTES;
    uint i = col % 32u;
    uint packed = load_u8(block + 2u + i % 16u);
    uint q = i < 16u ? packed & 15u : packed >> 4;
    return load_f16(block) * (float(q) - 8.0);
}

// A chunk of 8 values is 8 bytes of the block: their low nibbles for values 0..15, high ones for 16..31.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 32u) * Q4_0_BLOCK_BYTES;
    uint i = col % 32u;
    float d = load_f16(block);
    uvec2 q = load_8_bytes(block + 2u + i % 16u);
    uint shift = i < 16u ? 0u : 4u;
    lo = d * (vec4(byte_bits(q.x, shift, 15u)) - 8.0);
    hi = d * (vec4(byte_bits(q.y, shift, 15u)) - 8.0);
}
