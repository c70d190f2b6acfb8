// UTF-8 helpers of the tokenizer: walking code points of valid text, and turning arbitrary bytes into valid
// UTF-8 the way browsers' TextDecoder and Rust's from_utf8_lossy do (the WHATWG Encoding rule: every maximal
// subpart of an invalid sequence becomes one U+FFFD).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loom::tok {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// The code point at text[pos] of valid UTF-8 text, advancing `pos` past it.
char32_t next_code_point(std::string_view text, size_t& pos);
// The number of bytes of the character that starts with `lead` in valid UTF-8.
size_t utf8_length(unsigned char lead);
// The start of the character that ends just before `pos` in valid UTF-8 text (pos > 0).
size_t previous_character_start(std::string_view text, size_t pos);
void append_utf8(std::string& out, char32_t code_point);

bool is_valid_utf8(std::string_view bytes);

// Valid UTF-8 for `bytes`, each maximal invalid subpart replaced by U+FFFD. When `incomplete_tail` is given,
// a character cut off by the end of `bytes` (its bytes so far valid) is left out instead of replaced, and its
// length stored there: a streaming decoder keeps those bytes for the next call.
std::string to_valid_utf8(std::string_view bytes, size_t* incomplete_tail = nullptr);

}  // namespace loom::tok
