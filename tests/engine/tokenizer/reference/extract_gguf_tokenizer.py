#!/usr/bin/python3
"""Copies the tokenizer metadata of tests/data/models/stories260K.gguf into
tests/data/tokenizers/stories260K_gguf_tokenizer.json, so that test_tokenizer_from_parts can build the tokenizer
exactly as a GGUF loader will (Tokenizer::from_parts) without depending on one. Standard library only.

    /usr/bin/python3 tests/engine/tokenizer/reference/extract_gguf_tokenizer.py
"""
import json
import pathlib
import struct

REPO = pathlib.Path(__file__).resolve().parents[4]
SOURCE = REPO / "tests" / "data" / "models" / "stories260K.gguf"
TARGET = REPO / "tests" / "data" / "tokenizers" / "stories260K_gguf_tokenizer.json"

# GGUF metadata value types (gguf.h): scalar struct formats, 8 = string, 9 = array.
SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def scalar(self, fmt):
        (value,) = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return value

    def string(self):
        length = self.scalar("Q")
        text = self.data[self.pos : self.pos + length].decode("utf-8")
        self.pos += length
        return text

    def value(self, kind):
        if kind == 8:
            return self.string()
        if kind == 9:
            item_kind, count = self.scalar("I"), self.scalar("Q")
            return [self.value(item_kind) for _ in range(count)]
        return self.scalar(SCALARS[kind])


def main():
    reader = Reader(SOURCE.read_bytes())
    if reader.data[:4] != b"GGUF":
        raise SystemExit(f"{SOURCE} is not a GGUF file")
    reader.pos = 4
    reader.scalar("I")  # version
    reader.scalar("Q")  # tensor count
    metadata = {}
    for _ in range(reader.scalar("Q")):
        key = reader.string()
        metadata[key] = reader.value(reader.scalar("I"))
    tokenizer = {key: value for key, value in metadata.items() if key.startswith("tokenizer.")}
    tokenizer = {"about": f"The tokenizer.* metadata of {SOURCE.relative_to(REPO)}, copied by "
                          "tests/engine/tokenizer/reference/extract_gguf_tokenizer.py", **tokenizer}
    TARGET.write_text(json.dumps(tokenizer, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)} ({len(tokenizer) - 1} keys)")


if __name__ == "__main__":
    main()
