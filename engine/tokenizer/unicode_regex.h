// Patterns of tokenizer.json ({"Regex": ...} or {"String": ...}), as the Split pre-tokenizer and the Replace
// normalizer and decoder use them. Regexes run on PCRE2 with UTF and UCP, because the split patterns of
// GPT-2, Llama 3 and Qwen2 need Unicode classes (\p{L}, \p{N}, Unicode \s), look-ahead (\s+(?!\S)) and
// case-insensitive groups ((?i:'s|'t)).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loom::tok {

struct TextSpan {
    size_t begin = 0;
    size_t end = 0;
};

// A compiled regular expression. Matching is const and thread-safe: the compiled code is shared, and every
// call allocates its own match data.
class UnicodeRegex {
  public:
    // Throws Error quoting PCRE2's message and the offset of the problem in `pattern`.
    explicit UnicodeRegex(std::string_view pattern);

    // Every non-empty, non-overlapping match in `text`, left to right. Throws Error if `text` is not UTF-8.
    std::vector<TextSpan> find_all(std::string_view text) const;

  private:
    struct Code;
    std::shared_ptr<const Code> code_;
    std::string pattern_;
};

// A literal string or a regex, matched the same way.
class Pattern {
  public:
    static Pattern literal(std::string text);
    static Pattern regex(std::string_view pattern);

    std::vector<TextSpan> find_all(std::string_view text) const;
    // `text` with every match replaced by `content` (taken literally, as tokenizers' Replace does).
    std::string replace_all(std::string_view text, std::string_view content) const;

  private:
    std::string literal_;
    std::shared_ptr<const UnicodeRegex> regex_;  // null for a literal
};

}  // namespace loom::tok
