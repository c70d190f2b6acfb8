// F16 weights: IEEE half precision, 2 bytes per value.
float weight_at(uint row_byte, uint col) { return load_f16(row_byte + 2u * col); }
