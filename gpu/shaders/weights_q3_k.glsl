// Q3_K weights (GGUF): super-blocks of 256 values in 110 bytes: hmask[32], qs[64], scales[12], fp16 d.
// The low 2 bits of q are stored as in Q2_K; bit 2 is bit (e / 32) of hmask[e % 32]. Each 16-value sub-block
// j has a 6-bit scale stored with an offset of 32: its low 4 bits are a nibble of scales[j % 8] (low for
// j < 8), its high 2 bits sit in scales[8 + j % 4] at bit 2 * (j / 4).
// value = (d * (scale - 32)) * (q - 4).
const uint Q3_K_BLOCK_BYTES = 110u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 256u) * Q3_K_BLOCK_BYTES;
    uint e = col % 256u, j = e / 16u;
    uint low = (load_u8(block + 32u + 32u * (e / 128u) + e % 32u) >> (2u * ((e % 128u) / 32u))) & 3u;
    uint high = (load_u8(block + e % 32u) >> (e / 32u)) & 1u;
    uint scale_low = (load_u8(block + 96u + j % 8u) >> (4u * (j / 8u))) & 15u;
    uint scale_high = (load_u8(block + 104u + j % 4u) >> (2u * (j / 4u))) & 3u;
    int scale = int(scale_low | (scale_high << 4)) - 32;
    return (load_f16(block + 108u) * float(scale)) * float(int(low | (high << 2)) - 4);
}
