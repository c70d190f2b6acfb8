// Tokenizers in GGUF files: the tokenizer.ggml.* metadata llama.cpp defines, read into a Tokenizer, and
// written from a Hugging Face tokenizer.json when Loom saves a model as GGUF.
#pragma once

#include <filesystem>

#include "formats/gguf_value.h"
#include "tokenizer/tokenizer.h"

namespace loom {

// The parts GGUF metadata describes. Throws Error naming a missing key or an out-of-range id.
TokenizerParts tokenizer_parts_from_gguf(const GgufMetadata& metadata);
// Throws Error naming a missing key or an unsupported tokenizer model / pre-tokenizer.
Tokenizer tokenizer_from_gguf(const GgufMetadata& metadata);

// The GGUF parts of a Hugging Face folder's tokenizer (tokenizer.json and its config files), such that
// Tokenizer::from_parts gives the same ids as Tokenizer::from_hf_folder. Byte-level tokenizers become
// "gpt2" with their merges and the pre-tokenizer name of their split pattern; SentencePiece-style ones become
// "llama" with scores that rank pieces by the merge that makes them. Throws Error for a tokenizer that GGUF
// cannot express (an unknown split pattern, a model that is not BPE).
TokenizerParts tokenizer_parts_from_hf_folder(const std::filesystem::path& model_dir);

// Adds the tokenizer.ggml.* entries of `parts` to `metadata`.
void write_tokenizer_metadata(const TokenizerParts& parts, GgufMetadata& metadata);

}  // namespace loom
