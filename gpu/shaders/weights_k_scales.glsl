// The 12-byte packing of eight 6-bit scales and eight 6-bit minimums shared by Q4_K and Q5_K (at byte
// `at`). Sub-blocks 0..3 keep theirs in the low 6 bits of bytes 0..3 (scales) and 4..7 (minimums);
// sub-blocks 4..7 put their low 4 bits in the nibbles of bytes 8..11 and their top 2 bits in the spare
// top bits of bytes 0..7. Returns (scale, min) of sub-block j.
uvec2 k_scale_min(uint at, uint j) {
    if (j < 4u) return uvec2(load_u8(at + j) & 63u, load_u8(at + j + 4u) & 63u);
    uint packed = load_u8(at + j + 4u);
    uint scale = (packed & 15u) | ((load_u8(at + j - 4u) >> 6) << 4);
    uint minimum = (packed >> 4) | ((load_u8(at + j) >> 6) << 4);
    return uvec2(scale, minimum);
}
