// Normalizers: the text rewrites that run before splitting, as tokenizer.json's "normalizer" lists them.
// SentencePiece-style tokenizers (Llama 2) prepend "▁" and replace spaces with it; Qwen2 composes characters
// (NFC), so that "e" + U+0301 is tokenized as "é".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/unicode_regex.h"

namespace loom::tok {

class Normalizer {
  public:
    virtual ~Normalizer() = default;
    // Rewrites `text` (valid UTF-8) in place.
    virtual void normalize(std::string& text) const = 0;
};

// {"type": "Prepend", "prepend": "▁"}: prefixes non-empty text.
class PrependNormalizer final : public Normalizer {
  public:
    explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
    void normalize(std::string& text) const override;

  private:
    std::string prefix_;
};

// {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
class ReplaceNormalizer final : public Normalizer {
  public:
    ReplaceNormalizer(Pattern pattern, std::string content)
        : pattern_(std::move(pattern)), content_(std::move(content)) {}
    void normalize(std::string& text) const override;

  private:
    Pattern pattern_;
    std::string content_;
};

enum class UnicodeForm { NFC, NFD, NFKC, NFKD };

// {"type": "NFC"} and its siblings, computed by ICU.
class UnicodeNormalizer final : public Normalizer {
  public:
    explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
    void normalize(std::string& text) const override;

  private:
    UnicodeForm form_;
};

// {"type": "Sequence", "normalizers": [...]}: each in turn.
class NormalizerSequence final : public Normalizer {
  public:
    explicit NormalizerSequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
    void normalize(std::string& text) const override;

  private:
    std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace loom::tok
