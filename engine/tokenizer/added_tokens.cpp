#include "tokenizer/added_tokens.h"

#include <unicode/uchar.h>

#include <algorithm>

#include "tokenizer/utf8.h"

namespace loom::tok {

namespace {

bool is_whitespace(char32_t c) {
    return u_isUWhiteSpace(static_cast<UChar32>(c));
}
bool is_word_character(char32_t c) {
    return c == U'_' || u_isalnum(static_cast<UChar32>(c));
}

// Whether text[begin, end) has a word character right before or right after it.
bool touches_word(std::string_view text, size_t begin, size_t end) {
    if (begin > 0) {
        size_t before = previous_character_start(text, begin);
        if (is_word_character(next_code_point(text, before))) return true;
    }
    return end < text.size() && is_word_character(next_code_point(text, end));
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : tokens_(tokens), nodes_(1) {
    for (size_t index = 0; index < tokens_.size(); ++index) {
        int32_t node = 0;
        for (char c : tokens_[index].content) {
            const auto byte = static_cast<unsigned char>(c);
            int32_t next = child(node, byte);
            if (next < 0) {
                next = static_cast<int32_t>(nodes_.size());
                nodes_.emplace_back();
                auto& children = nodes_[node].children;
                children.insert(std::lower_bound(children.begin(), children.end(), std::make_pair(byte, 0)),
                                {byte, next});
            }
            node = next;
        }
        if (node != 0) nodes_[node].token = static_cast<int32_t>(index);  // an empty content never matches
    }
}

int32_t AddedTokenMatcher::child(int32_t node, unsigned char byte) const {
    const auto& children = nodes_[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, 0));
    return it != children.end() && it->first == byte ? it->second : -1;
}

int32_t AddedTokenMatcher::longest_match(std::string_view text, size_t pos, bool parse_special,
                                         size_t& end) const {
    int32_t found = -1;
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
        node = child(node, static_cast<unsigned char>(text[i]));
        if (node < 0) break;
        const int32_t token = nodes_[node].token;
        if (token < 0 || (tokens_[token].special && !parse_special)) continue;
        if (tokens_[token].single_word && touches_word(text, pos, i + 1)) continue;
        found = token;
        end = i + 1;
    }
    return found;
}

std::vector<Segment> AddedTokenMatcher::split(std::string_view text, bool parse_special) const {
    std::vector<Segment> segments;
    if (tokens_.empty()) {
        if (!text.empty()) segments.push_back({text, -1, 0});
        return segments;
    }
    size_t plain_begin = 0;  // start of the plain text not yet emitted
    for (size_t pos = 0; pos < text.size();) {
        size_t end = 0;
        const int32_t index = longest_match(text, pos, parse_special, end);
        if (index < 0) {
            ++pos;
            continue;
        }
        const AddedToken& token = tokens_[index];
        size_t plain_end = pos;
        if (token.lstrip) {
            while (plain_end > plain_begin) {
                size_t start = previous_character_start(text, plain_end);
                size_t after = start;
                if (!is_whitespace(next_code_point(text, after))) break;
                plain_end = start;
            }
        }
        if (plain_end > plain_begin)
            segments.push_back({text.substr(plain_begin, plain_end - plain_begin), -1, plain_begin});
        segments.push_back({{}, token.id, pos});
        if (token.rstrip) {
            while (end < text.size()) {
                size_t next = end;
                if (!is_whitespace(next_code_point(text, next))) break;
                end = next;
            }
        }
        plain_begin = pos = end;
    }
    if (plain_begin < text.size()) segments.push_back({text.substr(plain_begin), -1, plain_begin});
    return segments;
}

}  // namespace loom::tok
