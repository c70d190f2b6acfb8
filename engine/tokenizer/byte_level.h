// GPT-2's byte-level alphabet. Byte-level BPE works on bytes, but its vocabulary is stored as text, so every
// byte 0..255 stands for one printable character: the printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
// stand for themselves, the other 68 (controls, space, soft hyphen...) for U+0100.. in byte order. That is
// why a space appears as "Ġ" (U+0120) and a newline as "Ċ" (U+010A) in these vocabularies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loom::tok {

// Each byte of `bytes` replaced by the UTF-8 of the character that stands for it.
std::string to_byte_level(std::string_view bytes);
// Appends the byte a character of the alphabet stands for and returns true; false for other characters.
bool append_byte_of(char32_t character, std::string& out);

}  // namespace loom::tok
