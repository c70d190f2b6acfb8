// Text <-> token ids, for the tokenizers of the supported model families:
//   - byte-level BPE (GPT-2, Llama 3, Qwen2): bytes mapped to printable characters, split by the model's
//     regex before merging;
//   - SentencePiece-style BPE (Llama 2, TinyLlama, Mistral, stories260K): spaces become U+2581 "▁", merges by
//     rank, unknown characters fall back to <0xXX> byte tokens.
// Both come from a Hugging Face tokenizer.json (plus tokenizer_config.json / generation_config.json for the
// special tokens) or from GGUF metadata.
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

class TokenizerImpl;

class Tokenizer {
  public:
    // Reads tokenizer.json from `model_dir`, with special tokens from tokenizer_config.json,
    // generation_config.json and config.json when present. Throws Error saying what is missing or malformed.
    static Tokenizer from_hf_folder(const std::filesystem::path& model_dir);

    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options = {}) const;
    // Decodes ids to UTF-8 text as the model's decoder does; invalid UTF-8 becomes U+FFFD.
    std::string decode(std::span<const int32_t> ids, bool skip_special = true) const;

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
// the first word is handled as decode() handles it).
class StreamDecoder {
  public:
    explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = true);
    // The text that `id` completes; may be empty while a multi-byte character is still incomplete.
    std::string push(int32_t id);
    // Whatever is left (incomplete bytes become U+FFFD).
    std::string flush();

  private:
    const Tokenizer* tokenizer_;
    bool skip_special_;
    std::vector<int32_t> ids_;
    size_t emitted_bytes_ = 0;  // bytes of decode(ids_) already returned
    size_t prefix_ids_ = 0;     // ids before the window that is re-decoded
    std::string prefix_text_;
};

}  // namespace loom
