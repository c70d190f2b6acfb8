#include "chat/jinja/lexer.h"

#include <cerrno>
#include <cstdlib>

#include "chat/jinja/utf8.h"

namespace loom::jinja {

namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
    return is_name_start(c) || is_digit(c);
}
bool is_tag_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Jinja reads templates with universal newlines and, by default, without their last newline.
std::string normalize_source(std::string_view source, bool keep_trailing_newline) {
    std::string out;
    out.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
        if (source[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
        } else {
            out.push_back(source[i]);
        }
    }
    if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

class Lexer {
  public:
    Lexer(std::string_view source, const SyntaxOptions& options)
        : source_(normalize_source(source, options.keep_trailing_newline)), options_(options) {}

    std::vector<Token> run() {
        while (pos_ < source_.size()) {
            size_t tag = find_tag(pos_);
            if (tag == std::string::npos) {
                emit_text(source_.substr(pos_), here());
                advance_to(source_.size());
                break;
            }
            char kind = source_[tag + 1];  // '{', '%' or '#'
            char sign = tag + 2 < source_.size() ? source_[tag + 2] : '\0';
            std::string text = source_.substr(pos_, tag - pos_);
            SourceLocation text_start = here();
            strip_before_tag(text, kind, sign);
            emit_text(std::move(text), text_start);
            advance_to(tag);
            if (kind == '#') {
                lex_comment();
            } else if (kind == '%' && starts_raw_block()) {
                lex_raw_block();
            } else {
                lex_tag(kind);
            }
        }
        Token end;
        end.kind = TokenKind::EndOfInput;
        end.where = here();
        tokens_.push_back(end);
        return std::move(tokens_);
    }

  private:
    // --- positions -------------------------------------------------------------------------------------

    SourceLocation here() const { return {line_, column_}; }

    void advance_to(size_t target) {
        for (; pos_ < target; ++pos_) {
            unsigned char c = static_cast<unsigned char>(source_[pos_]);
            if (c == '\n') {
                ++line_;
                column_ = 1;
            } else if ((c & 0xC0) != 0x80) {
                ++column_;  // count code points, not UTF-8 continuation bytes
            }
        }
    }
    void advance(size_t n) { advance_to(pos_ + n); }
    bool at(std::string_view text) const { return source_.compare(pos_, text.size(), text) == 0; }

    [[noreturn]] void fail_at(SourceLocation where, const std::string& message) const {
        throw TemplateError(where, message);
    }

    size_t find_tag(size_t from) const {
        for (size_t i = source_.find('{', from); i != std::string::npos; i = source_.find('{', i + 1)) {
            if (i + 1 < source_.size()) {
                char next = source_[i + 1];
                if (next == '{' || next == '%' || next == '#') return i;
            }
        }
        return std::string::npos;
    }

    // --- whitespace control ----------------------------------------------------------------------------

    // "{%-" removes all whitespace before the tag; lstrip_blocks removes the spaces and tabs that indent a
    // block or comment tag on its own line ("{%+" opts out).
    void strip_before_tag(std::string& text, char kind, char sign) const {
        if (sign == '-') {
            text = strip(text, StripSide::Right);
            return;
        }
        if (sign == '+' || !options_.lstrip_blocks || kind == '{') return;
        size_t line_start = text.rfind('\n');
        line_start = line_start == std::string::npos ? 0 : line_start + 1;
        if (line_start == 0 && !line_starting_) return;
        if (text.find_first_not_of(" \t", line_start) == std::string::npos) text.erase(line_start);
    }

    // After a closing delimiter: "-" removes all following whitespace, "+" keeps it, and otherwise
    // trim_blocks removes one newline after blocks and comments.
    void strip_after_tag(char sign, bool is_block_or_comment) {
        if (sign == '-') {
            while (pos_ < source_.size() && is_tag_space(source_[pos_]))
                advance(1);
        } else if (sign != '+' && is_block_or_comment && options_.trim_blocks && at("\n")) {
            advance(1);
        }
        line_starting_ = pos_ > 0 && source_[pos_ - 1] == '\n';
    }

    void emit_text(std::string text, SourceLocation where) {
        if (text.empty()) return;
        Token token;
        token.kind = TokenKind::Text;
        token.text = std::move(text);
        token.where = where;
        tokens_.push_back(std::move(token));
    }

    void emit(TokenKind kind, std::string text, SourceLocation where) {
        Token token;
        token.kind = kind;
        token.text = std::move(text);
        token.where = where;
        tokens_.push_back(std::move(token));
    }

    // --- comments and raw blocks -----------------------------------------------------------------------

    void lex_comment() {
        SourceLocation start = here();
        size_t body = pos_ + 2;
        if (body < source_.size() && (source_[body] == '-' || source_[body] == '+')) ++body;
        size_t close = source_.find("#}", body);
        if (close == std::string::npos) fail_at(start, "this comment is never closed: expected '#}'");
        char sign = close > body ? source_[close - 1] : '\0';
        advance_to(close + 2);
        strip_after_tag(sign, true);
    }

    // {% raw %} ... {% endraw %}: everything between is text, tags included.
    bool starts_raw_block() const {
        size_t i = pos_ + 2;
        if (i < source_.size() && (source_[i] == '-' || source_[i] == '+')) ++i;
        while (i < source_.size() && is_tag_space(source_[i]))
            ++i;
        if (source_.compare(i, 3, "raw") != 0 || (i + 3 < source_.size() && is_name_char(source_[i + 3])))
            return false;
        return true;
    }

    void lex_raw_block() {
        SourceLocation start = here();
        size_t close = source_.find("%}", pos_);
        if (close == std::string::npos) fail_at(start, "this {% raw %} tag is never closed: expected '%}'");
        char sign = source_[close - 1];
        advance_to(close + 2);
        strip_after_tag(sign == '-' ? '-' : '+', true);

        // Find "{%" [-+] spaces "endraw" spaces [-+] "%}".
        for (size_t open = source_.find("{%", pos_); open != std::string::npos;
             open = source_.find("{%", open + 2)) {
            size_t i = open + 2;
            char open_sign = i < source_.size() ? source_[i] : '\0';
            if (open_sign == '-' || open_sign == '+') ++i;
            while (i < source_.size() && is_tag_space(source_[i]))
                ++i;
            if (source_.compare(i, 6, "endraw") != 0) continue;
            i += 6;
            while (i < source_.size() && is_tag_space(source_[i]))
                ++i;
            char close_sign = '\0';
            if (i < source_.size() && (source_[i] == '-' || source_[i] == '+')) close_sign = source_[i++];
            if (source_.compare(i, 2, "%}") != 0) continue;

            std::string text = source_.substr(pos_, open - pos_);
            SourceLocation text_start = here();
            strip_before_tag(text, '%', open_sign);
            emit_text(std::move(text), text_start);
            advance_to(i + 2);
            strip_after_tag(close_sign, true);
            return;
        }
        fail_at(start, "this {% raw %} block is never closed: expected {% endraw %}");
    }

    // --- tags ------------------------------------------------------------------------------------------

    void lex_tag(char kind) {
        bool is_block = kind == '%';
        SourceLocation start = here();
        emit(is_block ? TokenKind::BlockBegin : TokenKind::VariableBegin, is_block ? "{%" : "{{", start);
        advance(2);
        // "{{+" is not whitespace control: the "+" is a unary plus.
        if (at("-") || (is_block && at("+"))) advance(1);

        int depth = 0;  // open brackets; "}}" and "%}" only close the tag outside them, as in Jinja
        const char* closing = is_block ? "%}" : "}}";
        while (true) {
            while (pos_ < source_.size() && is_tag_space(source_[pos_]))
                advance(1);
            if (pos_ >= source_.size())
                fail_at(start, cat("this tag is never closed: expected '", closing, "'"));
            if (depth == 0) {
                char sign = source_[pos_];
                bool signed_close =
                    (sign == '-' || (is_block && sign == '+')) && source_.compare(pos_ + 1, 2, closing) == 0;
                if (signed_close || at(closing)) {
                    SourceLocation end = here();
                    advance(signed_close ? 3 : 2);
                    emit(is_block ? TokenKind::BlockEnd : TokenKind::VariableEnd, closing, end);
                    strip_after_tag(signed_close ? sign : '\0', is_block);
                    return;
                }
            }
            lex_expression_token(depth);
        }
    }

    void lex_expression_token(int& depth) {
        char c = source_[pos_];
        if (c == '\'' || c == '"') return lex_string();
        if (is_digit(c)) return lex_number();
        if (is_name_start(c)) {
            SourceLocation start = here();
            size_t end = pos_;
            while (end < source_.size() && is_name_char(source_[end]))
                ++end;
            emit(TokenKind::Name, source_.substr(pos_, end - pos_), start);
            advance_to(end);
            return;
        }
        static constexpr std::string_view kTwoCharOperators[] = {"//", "**", "==", "!=", "<=", ">="};
        for (std::string_view op : kTwoCharOperators) {
            if (at(op)) {
                emit(TokenKind::Operator, std::string(op), here());
                advance(2);
                return;
            }
        }
        if (std::string_view("+-*/%~<>=()[]{},.:|").find(c) != std::string_view::npos) {
            if (c == '(' || c == '[' || c == '{') ++depth;
            if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
            emit(TokenKind::Operator, std::string(1, c), here());
            advance(1);
            return;
        }
        std::string shown;
        append_utf8(shown, decode_utf8(std::string_view(source_).substr(pos_, 4)).front());
        fail_at(here(), cat("unexpected character '", shown, "' inside a tag"));
    }

    void lex_number() {
        SourceLocation start = here();
        size_t end = pos_;
        auto digits = [&] {
            while (end < source_.size() &&
                   (is_digit(source_[end]) ||
                    (source_[end] == '_' && end + 1 < source_.size() && is_digit(source_[end + 1]))))
                ++end;
        };
        digits();
        bool is_float = false;
        if (end + 1 < source_.size() && source_[end] == '.' && is_digit(source_[end + 1])) {
            is_float = true;
            ++end;
            digits();
        }
        if (end < source_.size() && (source_[end] == 'e' || source_[end] == 'E')) {
            size_t exponent = end + 1;
            if (exponent < source_.size() && (source_[exponent] == '+' || source_[exponent] == '-'))
                ++exponent;
            if (exponent < source_.size() && is_digit(source_[exponent])) {
                is_float = true;
                end = exponent;
                digits();
            }
        }
        std::string text;
        for (size_t i = pos_; i < end; ++i)
            if (source_[i] != '_') text.push_back(source_[i]);
        Token token;
        token.where = start;
        token.text = text;
        if (is_float) {
            token.kind = TokenKind::Float;
            token.number = std::strtod(text.c_str(), nullptr);
        } else {
            token.kind = TokenKind::Integer;
            errno = 0;
            char* parsed_end = nullptr;
            long long value = std::strtoll(text.c_str(), &parsed_end, 10);
            if (errno == ERANGE) fail_at(start, cat("the number ", text, " is too large"));
            token.integer = value;
        }
        tokens_.push_back(std::move(token));
        advance_to(end);
    }

    // Python string literal escapes, which Jinja applies to its string literals.
    void lex_string() {
        SourceLocation start = here();
        char quote = source_[pos_];
        std::string value;
        size_t i = pos_ + 1;
        auto hex_value = [&](size_t at_index, size_t count) -> long {
            if (at_index + count > source_.size()) return -1;
            std::string hex = source_.substr(at_index, count);
            if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return -1;
            return std::strtol(hex.c_str(), nullptr, 16);
        };
        while (true) {
            if (i >= source_.size()) fail_at(start, cat("this string is never closed: expected ", quote));
            char c = source_[i];
            if (c == quote) break;
            if (c != '\\' || i + 1 >= source_.size()) {
                value.push_back(c);
                ++i;
                continue;
            }
            char e = source_[i + 1];
            i += 2;
            switch (e) {
                case '\n':
                    break;  // line continuation
                case '\\':
                    value.push_back('\\');
                    break;
                case '\'':
                    value.push_back('\'');
                    break;
                case '"':
                    value.push_back('"');
                    break;
                case 'a':
                    value.push_back('\a');
                    break;
                case 'b':
                    value.push_back('\b');
                    break;
                case 'f':
                    value.push_back('\f');
                    break;
                case 'n':
                    value.push_back('\n');
                    break;
                case 'r':
                    value.push_back('\r');
                    break;
                case 't':
                    value.push_back('\t');
                    break;
                case 'v':
                    value.push_back('\v');
                    break;
                case 'x':
                case 'u':
                case 'U': {
                    size_t count = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    long code = hex_value(i, count);
                    if (code < 0 || code > 0x10FFFF)
                        fail_at(start,
                                cat("invalid \\", e, " escape in a string: expected ", count, " hex digits"));
                    append_utf8(value, static_cast<char32_t>(code));
                    i += count;
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        int code = e - '0';
                        for (int k = 0; k < 2 && i < source_.size() && source_[i] >= '0' && source_[i] <= '7';
                             ++k)
                            code = code * 8 + (source_[i++] - '0');
                        append_utf8(value, static_cast<char32_t>(code));
                    } else {
                        value.push_back('\\');  // Python keeps unknown escapes as they are
                        value.push_back(e);
                    }
            }
        }
        emit(TokenKind::String, std::move(value), start);
        advance_to(i + 1);
    }

    std::string source_;
    const SyntaxOptions& options_;
    size_t pos_ = 0;
    int line_ = 1;
    int column_ = 1;
    bool line_starting_ =
        true;  // the previous tag ended a line (or nothing came before): lstrip_blocks applies
    std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const SyntaxOptions& options) {
    return Lexer(source, options).run();
}

std::string describe(const Token& token) {
    switch (token.kind) {
        case TokenKind::Text:
            return "template text";
        case TokenKind::String:
            return cat("string '", token.text, "'");
        case TokenKind::Integer:
        case TokenKind::Float:
            return cat("number ", token.text);
        case TokenKind::EndOfInput:
            return "the end of the template";
        default:
            return cat("'", token.text, "'");
    }
}

}  // namespace loom::jinja
