#include "chat/jinja/utf8.h"

#include <algorithm>

namespace loom::jinja {

namespace {

// Where an undecodable byte goes, as in Python's "surrogateescape" error handler.
constexpr char32_t kEscapedByteBase = 0xDC00;

// Length of the UTF-8 sequence that starts at text[i], or 0 if it is not a valid sequence.
size_t sequence_length(std::string_view text, size_t i, char32_t& code_point) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    size_t length;
    char32_t value;
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2;
        value = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        value = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        value = lead & 0x07;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        value = (value << 6) | (byte(i + k) & 0x3F);
    }
    // Reject overlong forms, surrogates and values beyond Unicode, as a strict decoder does.
    static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kSmallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
    code_point = value;
    return length;
}

}  // namespace

std::vector<char32_t> decode_utf8(std::string_view text) {
    std::vector<char32_t> out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        char32_t c;
        size_t length = sequence_length(text, i, c);
        if (length == 0) {
            out.push_back(kEscapedByteBase + static_cast<unsigned char>(text[i]));
            ++i;
        } else {
            out.push_back(c);
            i += length;
        }
    }
    return out;
}

void append_utf8(std::string& out, char32_t c) {
    if (c >= kEscapedByteBase + 0x80 && c <= kEscapedByteBase + 0xFF) {
        out.push_back(static_cast<char>(c - kEscapedByteBase));
    } else if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

std::string encode_utf8(const std::vector<char32_t>& code_points) {
    std::string out;
    out.reserve(code_points.size());
    for (char32_t c : code_points)
        append_utf8(out, c);
    return out;
}

size_t count_code_points(std::string_view text) {
    size_t count = 0;
    for (size_t i = 0; i < text.size();) {
        char32_t c;
        size_t length = sequence_length(text, i, c);
        i += length == 0 ? 1 : length;
        ++count;
    }
    return count;
}

bool is_python_space(char32_t c) {
    if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) return true;
    switch (c) {
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            return true;
        default:
            return c >= 0x2000 && c <= 0x200A;
    }
}

std::string strip(std::string_view text, StripSide side, const std::string* chars) {
    std::vector<char32_t> points = decode_utf8(text);
    std::vector<char32_t> strip_set = chars ? decode_utf8(*chars) : std::vector<char32_t>{};
    auto removable = [&](char32_t c) {
        return chars ? std::find(strip_set.begin(), strip_set.end(), c) != strip_set.end()
                     : is_python_space(c);
    };
    size_t begin = 0, end = points.size();
    if (side != StripSide::Right)
        while (begin < end && removable(points[begin]))
            ++begin;
    if (side != StripSide::Left)
        while (end > begin && removable(points[end - 1]))
            --end;
    return encode_utf8(std::vector<char32_t>(points.begin() + static_cast<std::ptrdiff_t>(begin),
                                             points.begin() + static_cast<std::ptrdiff_t>(end)));
}

std::string to_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string capitalize(std::string_view text) {
    std::string out = to_lower(text);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
}

}  // namespace loom::jinja
