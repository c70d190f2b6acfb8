// Pre-tokenizers: cut normalized text into words before the BPE model merges inside each word, as
// tokenizer.json's "pre_tokenizer" lists them. Byte-level models split with their regex (Split) and then map
// bytes to GPT-2's alphabet (ByteLevel); SentencePiece-style ones may replace spaces with "▁" here
// (Metaspace) instead of in the normalizer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/unicode_regex.h"

namespace loom::tok {

// The split patterns of the model families, as their tokenizer.json files write them.
inline constexpr std::string_view kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama 3: case-insensitive contractions, numbers in groups of up to three digits.
inline constexpr std::string_view kLlama3SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: as Llama 3, but every digit on its own.
inline constexpr std::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Word {
    std::string text;
    bool at_text_start = false;  // begins at the start of the text being encoded (Metaspace "first" needs it)
};

class PreTokenizer {
  public:
    virtual ~PreTokenizer() = default;
    // Replaces each word by the words it splits into, in order; empty words are dropped.
    virtual void pre_tokenize(std::vector<Word>& words) const = 0;
};

// What happens to the matches of a Split pattern: dropped, kept as words of their own, glued to the word
// before or after, or glued to neighbouring matches.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// {"type": "Split", "pattern": {"Regex": ...}, "behavior": "Isolated", "invert": false}
class SplitPreTokenizer final : public PreTokenizer {
  public:
    SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert)
        : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
    void pre_tokenize(std::vector<Word>& words) const override;

  private:
    Pattern pattern_;
    SplitBehavior behavior_;
    bool invert_;
};

// {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}: optionally splits with GPT-2's
// pattern, then rewrites every byte as a character of GPT-2's alphabet (byte_level.h).
class ByteLevelPreTokenizer final : public PreTokenizer {
  public:
    ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex);
    void pre_tokenize(std::vector<Word>& words) const override;

  private:
    bool add_prefix_space_;
    std::shared_ptr<const Pattern> gpt2_split_;  // null without use_regex
};

// {"type": "Digits", "individual_digits": true}: numbers apart from the rest, digit by digit or in runs.
class DigitsPreTokenizer final : public PreTokenizer {
  public:
    explicit DigitsPreTokenizer(bool individual_digits) : individual_digits_(individual_digits) {}
    void pre_tokenize(std::vector<Word>& words) const override;

  private:
    bool individual_digits_;
};

// When Metaspace adds "▁" before the text: always, only before the start of the whole text, or never.
enum class PrependScheme { Always, First, Never };

// {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}: spaces become "▁";
// with `split`, every "▁" starts a new word.
class MetaspacePreTokenizer final : public PreTokenizer {
  public:
    MetaspacePreTokenizer(std::string replacement, PrependScheme prepend_scheme, bool split)
        : replacement_(std::move(replacement)),
          replacement_pattern_(Pattern::literal(replacement_)),
          prepend_scheme_(prepend_scheme),
          split_(split) {}
    void pre_tokenize(std::vector<Word>& words) const override;

  private:
    std::string replacement_;
    Pattern replacement_pattern_;
    Pattern space_ = Pattern::literal(" ");
    PrependScheme prepend_scheme_;
    bool split_;
};

class PreTokenizerSequence final : public PreTokenizer {
  public:
    explicit PreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> steps)
        : steps_(std::move(steps)) {}
    void pre_tokenize(std::vector<Word>& words) const override;

  private:
    std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace loom::tok
