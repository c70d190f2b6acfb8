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

// A chunk lies in one 16-value sub-block (one scale byte) and its 2-bit q are the same field of 8
// consecutive qs bytes; d and dmin are one 32-bit read. Scale and offset are folded once per chunk.
#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 256u) * Q2_K_BLOCK_BYTES;
    uint e = col % 256u;
    vec2 d = unpackHalf2x16(load_u32(block + 80u));
    uint scale_min = load_u8(block + e / 16u);
    float scale = d.x * float(scale_min & 15u), offset = d.y * float(scale_min >> 4);
    uvec2 q = load_8_bytes(block + 16u + 32u * (e / 128u) + e % 32u);
    uint shift = 2u * ((e % 128u) / 32u);
    lo = scale * vec4(byte_bits(q.x, shift, 3u)) - offset;
    hi = scale * vec4(byte_bits(q.y, shift, 3u)) - offset;
}
