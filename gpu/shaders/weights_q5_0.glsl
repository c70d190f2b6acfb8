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
