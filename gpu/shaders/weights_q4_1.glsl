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
