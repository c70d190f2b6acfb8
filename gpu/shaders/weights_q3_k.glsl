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

// A chunk lies in one 16-value sub-block, so its 6-bit scale is decoded once; its low bits are one field
// of 8 consecutive qs bytes and its high bits one bit of 8 consecutive hmask bytes.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 256u) * Q3_K_BLOCK_BYTES;
    uint e = col % 256u, j = e / 16u;
    uint scale_low = (load_u8(block + 96u + j % 8u) >> (4u * (j / 8u))) & 15u;
    uint scale_high = (load_u8(block + 104u + j % 4u) >> (2u * (j / 4u))) & 3u;
    float scale = load_f16(block + 108u) * float(int(scale_low | (scale_high << 4)) - 32);
    uvec2 q = load_8_bytes(block + 32u + 32u * (e / 128u) + e % 32u);
    uvec2 h = load_8_bytes(block + e % 32u);
    uint shift = 2u * ((e % 128u) / 32u), bit = e / 32u;
    lo = scale * (vec4(byte_bits(q.x, shift, 3u) | (byte_bits(h.x, bit, 1u) << 2)) - 4.0);
    hi = scale * (vec4(byte_bits(q.y, shift, 3u) | (byte_bits(h.y, bit, 1u) << 2)) - 4.0);
}
