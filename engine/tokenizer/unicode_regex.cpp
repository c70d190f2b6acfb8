#include "tokenizer/unicode_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace loom::tok {

struct UnicodeRegex::Code {
    pcre2_code* code = nullptr;
    bool jit = false;
    ~Code() { pcre2_code_free(code); }
};

namespace {

std::string pcre2_message(int error_code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(error_code, buffer, sizeof(buffer));
    return reinterpret_cast<const char*>(buffer);
}

struct MatchData {
    pcre2_match_data* data;
    explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {
        if (!data) fail("out of memory for regex match data");
    }
    ~MatchData() { pcre2_match_data_free(data); }
    MatchData(const MatchData&) = delete;
    MatchData& operator=(const MatchData&) = delete;
};

}  // namespace

UnicodeRegex::UnicodeRegex(std::string_view pattern) : pattern_(pattern) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    auto code = std::make_shared<Code>();
    code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                               PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
    if (!code->code)
        fail("invalid regex \"", pattern, "\" at offset ", error_offset, ": ", pcre2_message(error_code));
    // The JIT makes splitting several times faster; without it (unsupported CPU) the interpreter still works.
    code->jit = pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE) == 0;
    code_ = std::move(code);
}

std::vector<TextSpan> UnicodeRegex::find_all(std::string_view text) const {
    // Checked once here so that PCRE2 need not check the text again at every match.
    if (!is_valid_utf8(text)) fail("regex \"", pattern_, "\" cannot be matched against invalid UTF-8");
    std::vector<TextSpan> matches;
    MatchData match_data(code_->code);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    uint32_t options = PCRE2_NO_UTF_CHECK;
    size_t start = 0;
    while (start <= text.size()) {
        int result = pcre2_match(code_->code, subject, text.size(), start, options, match_data.data, nullptr);
        if (result == PCRE2_ERROR_JIT_STACKLIMIT) {
            // A pathological input outgrew the JIT's stack; the interpreter keeps its backtracking on the
            // heap.
            options |= PCRE2_NO_JIT;
            continue;
        }
        if (result == PCRE2_ERROR_NOMATCH) break;
        if (result < 0)
            fail("regex \"", pattern_, "\" failed on a text of ", text.size(),
                 " bytes: ", pcre2_message(result));
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data.data);
        const size_t begin = ovector[0], end = ovector[1];
        if (end > begin) {
            matches.push_back({begin, end});
            start = end;
        } else {
            // An empty match splits nothing; step over one character so the search moves on.
            if (begin >= text.size()) break;
            start = begin + utf8_length(static_cast<unsigned char>(text[begin]));
        }
    }
    return matches;
}

Pattern Pattern::literal(std::string text) {
    if (text.empty()) fail("a string pattern must not be empty");
    Pattern pattern;
    pattern.literal_ = std::move(text);
    return pattern;
}

Pattern Pattern::regex(std::string_view pattern_text) {
    Pattern pattern;
    pattern.regex_ = std::make_shared<const UnicodeRegex>(pattern_text);
    return pattern;
}

std::vector<TextSpan> Pattern::find_all(std::string_view text) const {
    if (regex_) return regex_->find_all(text);
    std::vector<TextSpan> matches;
    for (size_t pos = text.find(literal_); pos != std::string_view::npos; pos = text.find(literal_, pos)) {
        matches.push_back({pos, pos + literal_.size()});
        pos += literal_.size();
    }
    return matches;
}

std::string Pattern::replace_all(std::string_view text, std::string_view content) const {
    std::string out;
    out.reserve(text.size());
    size_t copied = 0;
    for (const TextSpan& match : find_all(text)) {
        out.append(text.substr(copied, match.begin - copied));
        out.append(content);
        copied = match.end;
    }
    out.append(text.substr(copied));
    return out;
}

}  // namespace loom::tok
