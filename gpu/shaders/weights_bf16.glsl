// BF16 weights: the top 16 bits of an F32, 2 bytes per value.
float weight_at(uint row_byte, uint col) { return uintBitsToFloat(load_u16(row_byte + 2u * col) << 16); }
