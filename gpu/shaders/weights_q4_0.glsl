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
