// Q2_K weights (GGUF): super-blocks of 256 values in 84 bytes: scales[16] (per 16 values, a 4-bit scale in
// the low nibble and a 4-bit minimum in the high one), qs[64] (2-bit q), then fp16 d and dmin.
// Each qs byte holds four values 32 apart (bits 2k: value 32k of its 128-value half), so that a decoder
// reading 32 consecutive values touches 32 consecutive bytes.
// value = (d * scale) * q - dmin * min.
const uint Q2_K_BLOCK_BYTES = 84u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 256u) * Q2_K_BLOCK_BYTES;
    uint e = col % 256u;
    uint scale_min = load_u8(block + e / 16u);
    uint q = (load_u8(block + 16u + 32u * (e / 128u) + e % 32u) >> (2u * ((e % 128u) / 32u))) & 3u;
    return (load_f16(block + 80u) * float(scale_min & 15u)) * float(q) -
           load_f16(block + 82u) * float(scale_min >> 4);
}
