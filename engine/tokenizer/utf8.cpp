#include "tokenizer/utf8.h"

namespace loom::tok {

namespace {

struct SequenceCheck {
    size_t length = 1;       // bytes of the sequence, or of its maximal invalid subpart
    bool valid = true;       // a whole, well-formed character
    bool truncated = false;  // well-formed so far, but `bytes` ends before the character does
};

// Checks the sequence at bytes[pos] against the table of well-formed UTF-8 (Unicode 15, table 3-7): the
// second byte's range depends on the lead byte, which rules out overlong forms, surrogates and values above
// U+10FFFF.
SequenceCheck check_sequence(std::string_view bytes, size_t pos) {
    const auto lead = static_cast<unsigned char>(bytes[pos]);
    if (lead < 0x80) return {};
    size_t continuation_bytes = 0;
    unsigned char second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuation_bytes = 1;
    } else if (lead == 0xE0) {
        continuation_bytes = 2, second_min = 0xA0;
    } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
        continuation_bytes = 2;
    } else if (lead == 0xED) {
        continuation_bytes = 2, second_max = 0x9F;
    } else if (lead == 0xF0) {
        continuation_bytes = 3, second_min = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
        continuation_bytes = 3;
    } else if (lead == 0xF4) {
        continuation_bytes = 3, second_max = 0x8F;
    } else {
        return {1, false, false};  // a continuation byte, C0, C1 or F5..FF cannot start a character
    }
    for (size_t i = 1; i <= continuation_bytes; ++i) {
        if (pos + i >= bytes.size()) return {i, false, true};
        const auto byte = static_cast<unsigned char>(bytes[pos + i]);
        const unsigned char min = i == 1 ? second_min : 0x80, max = i == 1 ? second_max : 0xBF;
        if (byte < min || byte > max) return {i, false, false};
    }
    return {continuation_bytes + 1, true, false};
}

}  // namespace

size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    return 4;
}

char32_t next_code_point(std::string_view text, size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const size_t length = utf8_length(lead);
    char32_t code_point = length == 1   ? lead
                          : length == 2 ? (lead & 0x1F)
                          : length == 3 ? (lead & 0x0F)
                                        : (lead & 0x07);
    for (size_t i = 1; i < length; ++i)
        code_point = (code_point << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
    pos += length;
    return code_point;
}

size_t previous_character_start(std::string_view text, size_t pos) {
    do {
        --pos;
    } while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80);
    return pos;
}

void append_utf8(std::string& out, char32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

bool is_valid_utf8(std::string_view bytes) {
    for (size_t pos = 0; pos < bytes.size();) {
        if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
            ++pos;
            continue;
        }
        const SequenceCheck check = check_sequence(bytes, pos);
        if (!check.valid) return false;
        pos += check.length;
    }
    return true;
}

std::string to_valid_utf8(std::string_view bytes, size_t* incomplete_tail) {
    std::string out;
    out.reserve(bytes.size());
    if (incomplete_tail) *incomplete_tail = 0;
    for (size_t pos = 0; pos < bytes.size();) {
        const SequenceCheck check = check_sequence(bytes, pos);
        if (check.valid) {
            out.append(bytes.substr(pos, check.length));
        } else if (check.truncated && incomplete_tail) {
            *incomplete_tail = bytes.size() - pos;
            break;
        } else {
            out.append(kReplacementCharacter);
        }
        pos += check.length;
    }
    return out;
}

}  // namespace loom::tok
