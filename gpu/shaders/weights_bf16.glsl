// BF16 weights: the top 16 bits of an F32, 2 bytes per value.
float weight_at(uint row_byte, uint col) { return uintBitsToFloat(load_u16(row_byte + 2u * col) << 16); }

#define WEIGHT_HAS_CHUNK8
vec2 unpack_bf16x2(uint word) { return uintBitsToFloat(uvec2(word << 16, word & 0xffff0000u)); }

void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint at = row_byte + 2u * col;
    uvec2 a = load_8_bytes(at), b = load_8_bytes(at + 8u);
    lo = vec4(unpack_bf16x2(a.x), unpack_bf16x2(a.y));
    hi = vec4(unpack_bf16x2(b.x), unpack_bf16x2(b.y));
}
