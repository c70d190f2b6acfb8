"""The Hugging Face file formats the reference models are written in: safetensors, and the two tokenizer kinds.

Written from the formats' descriptions, not from the huggingface libraries (which are not installed):
  safetensors     8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} plus
                  "__metadata__", padded with spaces to a multiple of 8, then the tensors' bytes back to back.
  SentencePiece   (stories260K's tokenizer.json) "▁" for spaces, BPE merges by rank, <0xXX> byte fallback.
  byte-level BPE  (Qwen2-style) bytes mapped to printable characters, text split by Qwen2's regex, BPE merges
                  by rank, special tokens matched verbatim before anything else.

The encoders here only need to handle the ASCII prompts of the reference models; they refuse anything else
rather than guess.
"""

import json
import re
import struct
from collections import Counter
from pathlib import Path

import torch

# ---------------------------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------------------------

SAFETENSORS_DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int32: "I32"}
_STORAGE_VIEW = {torch.float32: torch.float32, torch.bfloat16: torch.int16, torch.int32: torch.int32}


def tensor_bytes(tensor: torch.Tensor) -> bytes:
    # numpy has no bfloat16: reinterpret its 16 bits as int16. numpy writes the machine's byte order, which the
    # generator checks is little-endian, as safetensors requires.
    return tensor.contiguous().view(_STORAGE_VIEW[tensor.dtype]).numpy().tobytes()


def write_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    """tensors: name -> F32/BF16/I32 tensor, written in the dict's order. metadata: str -> str."""
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        data = tensor_bytes(tensor)
        header[name] = {
            "dtype": SAFETENSORS_DTYPES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)  # so that the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)


def read_safetensors(path: Path) -> dict:
    """The inverse of write_safetensors, used to check what was written."""
    blob = Path(path).read_bytes()
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_length])
    data = blob[8 + header_length :]
    by_name = {value: key for key, value in SAFETENSORS_DTYPES.items()}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = by_name[entry["dtype"]]
        raw = torch.frombuffer(bytearray(data[begin:end]), dtype=_STORAGE_VIEW[dtype])
        tensors[name] = raw.view(dtype).reshape(entry["shape"])
    return tensors


# ---------------------------------------------------------------------------------------------------------------
# BPE shared by both tokenizer kinds
# ---------------------------------------------------------------------------------------------------------------


def apply_merges(symbols: list, merge_ranks: dict) -> list:
    """Repeatedly merges the adjacent pair of lowest rank (leftmost first among equals), as HF's BPE does."""
    symbols = list(symbols)
    while len(symbols) > 1:
        ranked = [(merge_ranks.get((a, b)), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        ranked = [(rank, i) for rank, i in ranked if rank is not None]
        if not ranked:
            break
        _, i = min(ranked)
        symbols[i : i + 2] = [symbols[i] + symbols[i + 1]]
    return symbols


def parse_merges(merges: list) -> dict:
    """tokenizer.json merges, either "a b" strings or ["a", "b"] pairs -> {(a, b): rank}."""
    pairs = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]
    return {pair: rank for rank, pair in enumerate(pairs)}


# ---------------------------------------------------------------------------------------------------------------
# SentencePiece-style BPE (stories260K)
# ---------------------------------------------------------------------------------------------------------------


def sentencepiece_encode(tokenizer_json: dict, text: str, bos_id: int) -> list:
    """bos + BPE over the whole text with spaces as "▁" and one "▁" prepended (stories260K's normalizer)."""
    model = tokenizer_json["model"]
    vocab = model["vocab"]
    normalized = "▁" + text.replace(" ", "▁")
    unknown = sorted({c for c in normalized if c not in vocab})
    if unknown:
        raise ValueError(f"prompt characters {unknown} would need byte fallback; keep reference prompts simple")
    pieces = apply_merges(list(normalized), parse_merges(model["merges"]))
    return [bos_id] + [vocab[p] for p in pieces]


def sentencepiece_decode(tokenizer_json: dict, ids: list) -> str:
    pieces_by_id = {i: p for p, i in tokenizer_json["model"]["vocab"].items()}
    special = {t["id"] for t in tokenizer_json["added_tokens"]}
    text = "".join(pieces_by_id[i] for i in ids if i not in special).replace("▁", " ")
    return text[1:] if text.startswith(" ") else text


# ---------------------------------------------------------------------------------------------------------------
# Byte-level BPE (Qwen2-style)
# ---------------------------------------------------------------------------------------------------------------

# Qwen2's pre-tokenizer regex, as its tokenizer.json writes it (Unicode classes \p{L}, \p{N}).
QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# The same regex for ASCII text, where \p{L} is A-Za-z and \p{N} is 0-9 (Python's re has no \p{...}): first inside
# the negated classes, then the two that stand alone.
_QWEN2_SPLIT_ASCII = re.compile(
    QWEN2_SPLIT_REGEX.replace(r"\p{L}\p{N}]", "A-Za-z0-9]").replace(r"\p{L}", "[A-Za-z]").replace(r"\p{N}", "[0-9]")
)


def bytes_to_unicode() -> dict:
    """GPT-2's byte -> printable character map, in vocabulary order.

    Bytes that are printable Latin-1 characters map to themselves; the other 68 bytes (controls, space, 0x7F-0xA0,
    0xAD) map to U+0100 onwards, in byte order. Token ids 0..255 follow this dict's order, as in GPT-2 and Qwen2.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def split_ascii_words(text: str) -> list:
    if not text.isascii():
        raise ValueError("the reference byte-level encoder only splits ASCII text")
    return _QWEN2_SPLIT_ASCII.findall(text)


def to_byte_chars(word: str) -> str:
    table = bytes_to_unicode()
    return "".join(table[b] for b in word.encode("utf-8"))


def train_byte_level_merges(corpus: str, num_merges: int) -> list:
    """Classic BPE training: merge the most frequent adjacent pair, ties broken by the pair's text."""
    words = Counter(tuple(to_byte_chars(w)) for w in split_ascii_words(corpus))
    merges = []
    for _ in range(num_merges):
        pair_counts = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pair_counts[pair] += count
        if not pair_counts:
            break
        best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))
        merges.append(best)
        words = Counter({tuple(apply_merges(word, {best: 0})): c for word, c in words.items()})
    return merges


class ByteLevelBpe:
    """A Qwen2-style tokenizer: vocabulary, merges and special tokens, and their tokenizer.json."""

    def __init__(self, merges: list, special_tokens: list):
        self.merges = merges
        self.vocab = {char: i for i, char in enumerate(bytes_to_unicode().values())}
        for a, b in merges:
            self.vocab.setdefault(a + b, len(self.vocab))
        self.special = {token: len(self.vocab) + i for i, token in enumerate(special_tokens)}

    @property
    def size(self) -> int:
        return len(self.vocab) + len(self.special)

    def encode(self, text: str) -> list:
        """Special tokens verbatim; everything between them split by the regex and merged."""
        pattern = "(" + "|".join(re.escape(s) for s in self.special) + ")"
        ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        ids = []
        for part in re.split(pattern, text):
            if part in self.special:
                ids.append(self.special[part])
                continue
            for word in split_ascii_words(part):
                ids += [self.vocab[piece] for piece in apply_merges(list(to_byte_chars(word)), ranks)]
        return ids

    def decode(self, ids: list) -> str:
        char_to_byte = {c: b for b, c in bytes_to_unicode().items()}
        pieces = {i: p for p, i in self.vocab.items()} | {i: s for s, i in self.special.items()}
        out = bytearray()
        for i in ids:
            piece = pieces[i]
            out += piece.encode("utf-8") if piece in self.special else bytes(char_to_byte[c] for c in piece)
        return out.decode("utf-8")

    def tokenizer_json(self) -> dict:
        byte_level = {"add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
                for s, i in self.special.items()
            ],
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT_REGEX}, "behavior": "Isolated",
                     "invert": False},
                    {"type": "ByteLevel", **byte_level},
                ],
            },
            "post_processor": {"type": "ByteLevel", **byte_level},
            "decoder": {"type": "ByteLevel", **byte_level},
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": "",
                "end_of_word_suffix": "",
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],  # Qwen2's files use the "a b" string form
            },
        }
