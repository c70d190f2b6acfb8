// Q6_K weights (GGUF): super-blocks of 256 values in 210 bytes: ql[128] (low 4 bits), qh[64] (high 2 bits),
// 16 signed 8-bit scales (one per 16 values), fp16 d. Value e = 128 * n + 32 * s + i (s < 4, i < 32) has
// its low bits in nibble s / 2 of ql[64 * n + 32 * (s % 2) + i] and its high bits at bit 2 * s of
// qh[32 * n + i]: each half of the block packs four 32-value runs into the same 32 qh bytes.
// value = (d * scale) * (q - 32).
const uint Q6_K_BLOCK_BYTES = 210u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 256u) * Q6_K_BLOCK_BYTES;
    uint e = col % 256u, n = e / 128u, s = (e % 128u) / 32u, i = e % 32u;
    uint low = (load_u8(block + 64u * n + 32u * (s % 2u) + i) >> (4u * (s / 2u))) & 15u;
    uint high = (load_u8(block + 128u + 32u * n + i) >> (2u * s)) & 3u;
    int scale = int(load_u8(block + 192u + e / 16u) << 24) >> 24;  // sign-extends the byte
    return (load_f16(block + 208u) * float(scale)) * float(int(low | (high << 4)) - 32);
}

// A chunk lies in one 16-value sub-block (one scale byte); its low and high bits are one field each of 8
// consecutive ql and qh bytes.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 256u) * Q6_K_BLOCK_BYTES;
    uint e = col % 256u, n = e / 128u, s = (e % 128u) / 32u, i = e % 32u;
    int scale_q = int(load_u8(block + 192u + e / 16u) << 24) >> 24;  // sign-extends the byte
    float scale = load_f16(block + 208u) * float(scale_q);
    uvec2 l = load_8_bytes(block + 64u * n + 32u * (s % 2u) + i);
    uvec2 h = load_8_bytes(block + 128u + 32u * n + i);
    uint shift = 4u * (s / 2u);
    lo = scale * (vec4(byte_bits(l.x, shift, 15u) | (byte_bits(h.x, 2u * s, 3u) << 4)) - 32.0);
    hi = scale * (vec4(byte_bits(l.y, shift, 15u) | (byte_bits(h.y, 2u * s, 3u) << 4)) - 32.0);
}
