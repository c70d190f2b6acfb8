#include "tokenizer/normalizer.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <algorithm>

#include "util/error.h"

namespace loom::tok {

void PrependNormalizer::normalize(std::string& text) const {
    if (!text.empty()) text.insert(0, prefix_);
}

void ReplaceNormalizer::normalize(std::string& text) const {
    text = pattern_.replace_all(text, content_);
}

namespace {

const UNormalizer2* icu_normalizer(UnicodeForm form) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* normalizer = nullptr;
    switch (form) {
        case UnicodeForm::NFC:
            normalizer = unorm2_getNFCInstance(&status);
            break;
        case UnicodeForm::NFD:
            normalizer = unorm2_getNFDInstance(&status);
            break;
        case UnicodeForm::NFKC:
            normalizer = unorm2_getNFKCInstance(&status);
            break;
        case UnicodeForm::NFKD:
            normalizer = unorm2_getNFKDInstance(&status);
            break;
    }
    if (U_FAILURE(status)) fail("ICU cannot load its Unicode normalization data: ", u_errorName(status));
    return normalizer;
}

void check(UErrorCode status, const char* what) {
    if (U_FAILURE(status)) fail("Unicode normalization failed (", what, "): ", u_errorName(status));
}

}  // namespace

void UnicodeNormalizer::normalize(std::string& text) const {
    // ASCII is left unchanged by all four forms; most prompts are ASCII, so skip the two conversions.
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
        return;

    // ICU normalizes UTF-16: convert, normalize, convert back.
    UErrorCode status = U_ZERO_ERROR;
    int32_t utf16_length = 0;
    u_strFromUTF8(nullptr, 0, &utf16_length, text.data(), static_cast<int32_t>(text.size()), &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) status = U_ZERO_ERROR;
    check(status, "measuring UTF-16");
    std::u16string utf16(static_cast<size_t>(utf16_length), u'\0');
    u_strFromUTF8(utf16.data(), utf16_length, nullptr, text.data(), static_cast<int32_t>(text.size()),
                  &status);
    check(status, "UTF-8 to UTF-16");

    const UNormalizer2* normalizer = icu_normalizer(form_);
    // Decomposition can grow text (NFKD of U+FDFA is 18 code units); ask ICU for the size when it is short.
    std::u16string normalized(utf16.size() * 2 + 16, u'\0');
    int32_t normalized_length = unorm2_normalize(normalizer, utf16.data(), utf16_length, normalized.data(),
                                                 static_cast<int32_t>(normalized.size()), &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
        status = U_ZERO_ERROR;
        normalized.assign(static_cast<size_t>(normalized_length), u'\0');
        normalized_length = unorm2_normalize(normalizer, utf16.data(), utf16_length, normalized.data(),
                                             normalized_length, &status);
    }
    check(status, "normalizing");

    int32_t utf8_length = 0;
    u_strToUTF8(nullptr, 0, &utf8_length, normalized.data(), normalized_length, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) status = U_ZERO_ERROR;
    check(status, "measuring UTF-8");
    text.assign(static_cast<size_t>(utf8_length), '\0');
    u_strToUTF8(text.data(), utf8_length, nullptr, normalized.data(), normalized_length, &status);
    check(status, "UTF-16 to UTF-8");
}

void NormalizerSequence::normalize(std::string& text) const {
    for (const auto& step : steps_)
        step->normalize(text);
}

}  // namespace loom::tok
