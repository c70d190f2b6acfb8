// Text helpers for the template language. Python, whose Jinja2 renders chat templates in Hugging Face,
// counts, indexes and slices strings by code point, not by byte, and strips Unicode whitespace; these helpers
// do the same on UTF-8 strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom::jinja {

// Code points of a UTF-8 string. Bytes that are not valid UTF-8 come through as single code points in the
// range U+DC80..U+DCFF (Python's "surrogateescape"), so decoding and re-encoding never loses a byte.
std::vector<char32_t> decode_utf8(std::string_view text);
std::string encode_utf8(const std::vector<char32_t>& code_points);
void append_utf8(std::string& out, char32_t code_point);

size_t count_code_points(std::string_view text);

// Python's str.isspace(): ASCII whitespace, the information separators U+001C..U+001F and Unicode spaces.
bool is_python_space(char32_t c);

// str.strip() / lstrip() / rstrip(): without `chars`, Python whitespace; with them, any of their code points.
enum class StripSide { Both, Left, Right };
std::string strip(std::string_view text, StripSide side, const std::string* chars = nullptr);

// ASCII case mapping (role names and special tokens are ASCII); other code points pass through unchanged.
std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
std::string capitalize(std::string_view text);  // first character upper case, the rest lower

}  // namespace loom::jinja
