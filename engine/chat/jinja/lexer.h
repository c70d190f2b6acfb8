// Splits a template into tokens: plain text between tags, and the words, literals and operators inside
// {{ ... }} and {% ... %}. Comments {# ... #} vanish here, and so does the whitespace that Jinja's whitespace
// control removes ("-" inside a tag, trim_blocks, lstrip_blocks), so the parser never sees it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/errors.h"

namespace loom::jinja {

// How Jinja treats whitespace around tags. The defaults are Hugging Face's: transformers compiles chat
// templates with trim_blocks=True and lstrip_blocks=True (plain Jinja2 defaults both to False).
struct SyntaxOptions {
    bool trim_blocks = true;             // drop the first newline after a {% block %} or {# comment #}
    bool lstrip_blocks = true;           // drop spaces and tabs between a line's start and a {% block %}
    bool keep_trailing_newline = false;  // Jinja drops one newline at the very end of the template
};

enum class TokenKind {
    Text,           // template text outside tags
    VariableBegin,  // {{
    VariableEnd,    // }}
    BlockBegin,     // {%
    BlockEnd,       // %}
    Name,           // identifiers and keywords: message, if, not, true...
    String,         // a string literal, already unescaped
    Integer,
    Float,
    Operator,  // + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
    EndOfInput,
};

struct Token {
    TokenKind kind = TokenKind::EndOfInput;
    std::string text;  // the text, name, operator or unescaped string value
    int64_t integer = 0;
    double number = 0.0;
    SourceLocation where;
};

// Throws TemplateError for unclosed tags, comments and strings and characters that cannot start a token.
std::vector<Token> tokenize(std::string_view source, const SyntaxOptions& options);

// How a token reads in an error message: "'%}'", "'endfor'", "string 'abc'", "end of template".
std::string describe(const Token& token);

}  // namespace loom::jinja
