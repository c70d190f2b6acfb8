// F16 weights: IEEE half precision, 2 bytes per value.
float weight_at(uint row_byte, uint col) { return load_f16(row_byte + 2u * col); }

#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint at = row_byte + 2u * col;
    uvec2 a = load_8_bytes(at), b = load_8_bytes(at + 8u);
    lo = vec4(unpackHalf2x16(a.x), unpackHalf2x16(a.y));
    hi = vec4(unpackHalf2x16(b.x), unpackHalf2x16(b.y));
}
