// F32 weights: 4 bytes per value.
float weight_at(uint row_byte, uint col) { return uintBitsToFloat(W[(row_byte >> 2) + col]); }
