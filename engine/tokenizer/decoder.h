// Decoders: turn token pieces back into text, as tokenizer.json's "decoder" chain lists them. Byte-level
// models map GPT-2's alphabet back to bytes (ByteLevel); SentencePiece-style ones replace "▁" with spaces,
// turn <0xXX> tokens into bytes and drop the space that encoding put before the first word.
//
// Decoding works on bytes: a token may hold half a character, so the decoder's output is only made valid
// UTF-8 by its caller, once, over the whole text. Every step here is local to a token, except the removal of
// the leading space, which depends only on whether the tokens start the sequence. That is what lets
// StreamDecoder decode one token at a time and still produce exactly the text decode() gives.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode_regex.h"

namespace loom::tok {

struct DecodingState {
    std::vector<std::string> tokens;  // the pieces, rewritten step by step (bytes, not necessarily UTF-8)
    std::vector<bool> literal;    // per token: an added token's content, which ByteLevel leaves as written
    bool starts_sequence = true;  // tokens[0] is the first token of the whole text
    bool fused = false;           // an earlier step joined all tokens into one
};

class DecoderStep {
  public:
    virtual ~DecoderStep() = default;
    virtual void apply(DecodingState& state) const = 0;
    // Whether the step leaves one token holding the whole text.
    virtual bool fuses() const { return false; }
};

// {"type": "ByteLevel"}: GPT-2's alphabet back to bytes, all tokens joined.
class ByteLevelDecoder final : public DecoderStep {
  public:
    void apply(DecodingState& state) const override;
    bool fuses() const override { return true; }
};

// {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}: in every token.
class ReplaceDecoder final : public DecoderStep {
  public:
    ReplaceDecoder(Pattern pattern, std::string content)
        : pattern_(std::move(pattern)), content_(std::move(content)) {}
    void apply(DecodingState& state) const override;

  private:
    Pattern pattern_;
    std::string content_;
};

// {"type": "ByteFallback"}: "<0x0A>" becomes the byte 0x0A.
class ByteFallbackDecoder final : public DecoderStep {
  public:
    void apply(DecodingState& state) const override;
};

// {"type": "Fuse"}: all tokens joined into one.
class FuseDecoder final : public DecoderStep {
  public:
    void apply(DecodingState& state) const override;
    bool fuses() const override { return true; }
};

// {"type": "Strip", "content": " ", "start": 1, "stop": 0}: removes up to `start` leading and `stop` trailing
// copies of `content` from every token. After a fusing step the one token is the whole text, so its start
// is only stripped at the start of the sequence.
class StripDecoder final : public DecoderStep {
  public:
    StripDecoder(std::string content, size_t start, size_t stop)
        : content_(std::move(content)), start_(start), stop_(stop) {}
    void apply(DecodingState& state) const override;
    size_t stop() const { return stop_; }

  private:
    std::string content_;
    size_t start_;
    size_t stop_;
};

// {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"}: "▁" back to spaces, and the space
// Metaspace put before the text removed again (unless the scheme is "never").
class MetaspaceDecoder final : public DecoderStep {
  public:
    MetaspaceDecoder(std::string replacement, PrependScheme prepend_scheme)
        : replacement_(Pattern::literal(std::move(replacement))), prepend_scheme_(prepend_scheme) {}
    void apply(DecodingState& state) const override;

  private:
    Pattern replacement_;
    PrependScheme prepend_scheme_;
};

// The whole decoder chain. Without steps it concatenates the pieces; a tokenizer.json without a decoder joins
// them with spaces instead, as Hugging Face does.
class Decoder {
  public:
    Decoder() = default;
    static Decoder join_with_spaces();
    // Throws Error for a chain that could not be decoded token by token (Strip with `stop` after a fuse).
    explicit Decoder(std::vector<std::unique_ptr<DecoderStep>> steps);

    // The bytes `pieces` decode to. `literal[i]` marks added tokens; `starts_sequence` is false when the
    // pieces continue a sequence whose earlier tokens were decoded already.
    std::string decode(std::vector<std::string> pieces, std::vector<bool> literal,
                       bool starts_sequence) const;

  private:
    std::vector<std::unique_ptr<DecoderStep>> steps_;
    bool join_with_spaces_ = false;
};

}  // namespace loom::tok
