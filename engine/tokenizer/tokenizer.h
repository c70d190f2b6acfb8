// Text <-> token ids, for the tokenizers of the supported model families:
//   - byte-level BPE (GPT-2, Llama 3, Qwen2): bytes mapped to printable characters, split by the model's
//     regex before merging;
//   - SentencePiece-style BPE (Llama 2, TinyLlama, Mistral, stories260K): spaces become U+2581 "▁", merges by
//     rank, unknown characters fall back to <0xXX> byte tokens.
// Both come from a Hugging Face tokenizer.json (plus tokenizer_config.json / generation_config.json for the
// special tokens) or from GGUF metadata (Tokenizer::from_parts).
//
// Encoding runs the same stages as Hugging Face tokenizers, each in its own file of this folder:
//   added tokens (added_tokens.h) -> normalizer (normalizer.h) -> pre-tokenizer (pre_tokenizer.h)
//   -> BPE model (bpe_model.h) -> post-processor (bos/eos, tokenizer_impl.h);
// decoding runs the model's decoder chain (decoder.h). tokenizer_json.cpp builds the stages from
// tokenizer.json, hf_folder.cpp reads the special tokens of a model folder, from_parts.cpp builds them from
// GGUF-style parts. All of it is immutable once built: encode() and decode() may run on several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

struct SpecialTokens {
    std::optional<int32_t> bos;
    std::optional<int32_t> eos;
    std::optional<int32_t> unk;
    std::optional<int32_t> pad;
    // Every id that ends generation: eos plus the extra ids of generation_config.json's eos_token_id list
    // (Llama 3's <|eot_id|>, Qwen2's <|im_end|>...).
    std::vector<int32_t> end_of_generation;
    bool add_bos = false;  // prepend bos when encoding a prompt
    bool add_eos = false;
};

struct EncodeOptions {
    bool add_special = true;    // add bos/eos as the model's configuration says
    bool parse_special = true;  // recognise special/added tokens written in the text, e.g. "<|im_start|>"
};

// A tokenizer as GGUF metadata describes it, already read from the file (the GGUF loader fills this from the
// keys named in the comments). Tokenizer::from_parts turns it into the same tokenizer that the model's
// tokenizer.json gives.
struct TokenizerParts {
    // tokenizer.ggml.model: "llama" = SentencePiece BPE (merges by score, "▁" for spaces, <0xXX> byte
    // fallback); "gpt2" = byte-level BPE (merges by rank, split by the regex that `pre` names).
    std::string model;
    // tokenizer.ggml.pre, for "gpt2": "gpt2", "llama-bpe" (Llama 3), "qwen2". Ignored for "llama".
    std::string pre;
    std::vector<std::string> tokens;  // tokenizer.ggml.tokens: the piece of every id, in id order
    // tokenizer.ggml.scores ("llama"): the higher the score of a piece, the earlier two pieces merge into it.
    std::vector<float> scores;
    // tokenizer.ggml.token_type, one per token (may be empty: all normal): 1 normal, 2 unknown, 3 control
    // (special: bos, eos, <|im_start|>...), 4 user-defined (added tokens matched in the text), 5 unused,
    // 6 byte (<0xXX>).
    std::vector<int32_t> token_types;
    std::vector<std::string> merges;  // tokenizer.ggml.merges ("gpt2"): "left right", highest priority first
    // tokenizer.ggml.bos_token_id, eos_token_id, unknown_token_id, padding_token_id, add_bos_token,
    // add_eos_token. end_of_generation may stay empty: eos is always added to it.
    SpecialTokens special;
    bool add_space_prefix =
        true;  // tokenizer.ggml.add_space_prefix ("llama"): "Hello" is encoded as "▁Hello"
};

class TokenizerImpl;

class Tokenizer {
  public:
    // Reads tokenizer.json from `model_dir`, with special tokens from tokenizer_config.json,
    // generation_config.json and config.json when present. Throws Error saying what is missing or malformed.
    static Tokenizer from_hf_folder(const std::filesystem::path& model_dir);
    // The same, from a tokenizer.json file on its own (special tokens from its post-processor only).
    static Tokenizer from_tokenizer_json(const std::filesystem::path& tokenizer_json);
    // Builds the tokenizer GGUF metadata describes (see TokenizerParts). Throws Error naming an unsupported
    // model or pre-tokenizer, or parts that do not fit together (merges of unknown tokens, ids out of range).
    static Tokenizer from_parts(const TokenizerParts& parts);

    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    // Invalid UTF-8 in `text` is read as U+FFFD, as a UTF-8 decoder with replacement would.
    std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options = {}) const;
    // Decodes ids to UTF-8 text as the model's decoder does; invalid UTF-8 becomes U+FFFD. Throws Error for
    // an id outside [0, vocab_size()).
    std::string decode(std::span<const int32_t> ids, bool skip_special = true) const;
    // The text one token contributes in the middle of a sequence (" the" for "Ġthe" or "▁the"), for showing
    // tokens one by one; bytes of an incomplete character become U+FFFD.
    std::string token_text(int32_t id) const;

    int32_t vocab_size() const;
    // The vocabulary entry as stored (e.g. "▁the", "Ġthe", "<0x0A>", "<|im_end|>").
    const std::string& piece(int32_t id) const;
    bool is_special(int32_t id) const;  // control tokens: bos, eos, <|im_start|>...
    std::optional<int32_t> find_token(std::string_view piece) const;
    const SpecialTokens& special() const;
    // "byte-level BPE" or "SentencePiece BPE", for display.
    std::string kind() const;

    // Used by from_* factories.
    explicit Tokenizer(std::unique_ptr<TokenizerImpl> impl);
    const TokenizerImpl& impl() const { return *impl_; }

  private:
    std::unique_ptr<TokenizerImpl> impl_;
};

// Turns a stream of generated ids into text pieces as soon as they are complete: never half a UTF-8
// character, and with the same spacing as decode() of the whole sequence (SentencePiece's leading space of
// the first word is handled as decode() handles it). The concatenation of everything push() and flush()
// return equals decode() of all pushed ids.
class StreamDecoder {
  public:
    // `tokenizer` must outlive the decoder. One decoder per sequence; it is not shared between threads.
    explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = true);
    // The text that `id` completes; may be empty while a multi-byte character is still incomplete.
    std::string push(int32_t id);
    // Whatever is left (incomplete bytes become U+FFFD); the decoder then starts a new sequence.
    std::string flush();

  private:
    const Tokenizer* tokenizer_;
    bool skip_special_;
    bool at_sequence_start_ = true;  // no token has contributed to the text yet (decoders strip its space)
    std::string pending_bytes_;      // the start of a character whose remaining bytes are still to come
};

}  // namespace loom
