// Q5_0 weights (GGUF): blocks of 32 values: an fp16 scale d, a 32-bit word qh holding bit 4 of value i in
// its bit i, then the low 4 bits packed as in Q4_0; value = d * (q - 16). Blocks are 22 bytes, so qh is
// only 2-byte aligned and is read as two halves.
const uint Q5_0_BLOCK_BYTES = 22u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 32u) * Q5_0_BLOCK_BYTES;
    uint i = col % 32u;
    uint high = (load_u32(block + 2u) >> i) & 1u;
    uint packed = load_u8(block + 6u + i % 16u);
    uint q = (i < 16u ? packed & 15u : packed >> 4) | (high << 4);
    return load_f16(block) * (float(q) - 16.0);
}

// A chunk's 8 high bits are byte i / 8 of qh (one read, not the whole word); its low nibbles are 8 bytes,
// as in Q4_0.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 32u) * Q5_0_BLOCK_BYTES;
    uint i = col % 32u;
    float d = load_f16(block);
    uint high = load_u8(block + 2u + i / 8u);
    uvec2 q = load_8_bytes(block + 6u + i % 16u);
    uint shift = i < 16u ? 0u : 4u;
    lo = d * (vec4(byte_bits(q.x, shift, 15u) | (bits4(high, 0u) << 4)) - 16.0);
    hi = d * (vec4(byte_bits(q.y, shift, 15u) | (bits4(high, 4u) << 4)) - 16.0);
}
