// F32 weights: 4 bytes per value.
float weight_at(uint row_byte, uint col) { return uintBitsToFloat(W[(row_byte >> 2) + col]); }

#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint i = (row_byte >> 2) + col;
    lo = uintBitsToFloat(uvec4(W[i], W[i + 1u], W[i + 2u], W[i + 3u]));
    hi = uintBitsToFloat(uvec4(W[i + 4u], W[i + 5u], W[i + 6u], W[i + 7u]));
}
