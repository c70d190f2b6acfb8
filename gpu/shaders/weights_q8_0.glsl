// Q8_0 weights (GGUF): blocks of 32 values, each an fp16 scale d followed by 32 signed bytes q;
// value = d * q.
const uint Q8_0_BLOCK_BYTES = 34u;

float weight_at(uint row_byte, uint col) {
    uint block = row_byte + (col / 32u) * Q8_0_BLOCK_BYTES;
    int q = int(load_u8(block + 2u + col % 32u) << 24) >> 24;  // sign-extends the byte
    return load_f16(block) * float(q);
}

#define WEIGHT_HAS_CHUNK8
void weight_chunk8(uint row_byte, uint col, out vec4 lo, out vec4 hi) {
    uint block = row_byte + (col / 32u) * Q8_0_BLOCK_BYTES;
    float d = load_f16(block);
    uvec2 q = load_8_bytes(block + 2u + col % 32u);
    lo = d * unpack_i8x4(q.x);
    hi = d * unpack_i8x4(q.y);
}
