#include "tokenizer/pre_tokenizer.h"

#include <unicode/uchar.h>

#include <algorithm>

#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace loom::tok {

namespace {

// Cuts `word` into the stretches between and at `matches` (sorted, non-overlapping) and keeps them as
// `behavior` says, with the same rules as Hugging Face tokenizers' SplitDelimiterBehavior.
void split_word(const Word& word, const std::vector<TextSpan>& matches, bool invert, SplitBehavior behavior,
                std::vector<Word>& out) {
    struct Piece {
        TextSpan span;
        bool is_match;
    };
    std::vector<Piece> pieces;
    size_t covered = 0;
    for (const TextSpan& match : matches) {
        if (match.begin > covered) pieces.push_back({{covered, match.begin}, invert});
        pieces.push_back({match, !invert});
        covered = match.end;
    }
    if (covered < word.text.size()) pieces.push_back({{covered, word.text.size()}, invert});

    std::vector<TextSpan> kept;
    bool previous_match = false;
    switch (behavior) {
        case SplitBehavior::Removed:
            for (const Piece& piece : pieces)
                if (!piece.is_match) kept.push_back(piece.span);
            break;
        case SplitBehavior::Isolated:
            for (const Piece& piece : pieces)
                kept.push_back(piece.span);
            break;
        case SplitBehavior::MergedWithPrevious:
            // A match joins the word before it, unless that word is itself a match.
            for (const Piece& piece : pieces) {
                if (piece.is_match && !previous_match && !kept.empty())
                    kept.back().end = piece.span.end;
                else
                    kept.push_back(piece.span);
                previous_match = piece.is_match;
            }
            break;
        case SplitBehavior::MergedWithNext:
            // A match joins the word after it, unless that word is itself a match: the mirror image.
            for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
                if (it->is_match && !previous_match && !kept.empty())
                    kept.back().begin = it->span.begin;
                else
                    kept.push_back(it->span);
                previous_match = it->is_match;
            }
            std::reverse(kept.begin(), kept.end());
            break;
        case SplitBehavior::Contiguous:
            for (const Piece& piece : pieces) {
                if (piece.is_match && previous_match && !kept.empty())
                    kept.back().end = piece.span.end;
                else
                    kept.push_back(piece.span);
                previous_match = piece.is_match;
            }
            break;
    }
    for (const TextSpan& span : kept) {
        if (span.end == span.begin) continue;
        out.push_back(
            {word.text.substr(span.begin, span.end - span.begin), word.at_text_start && span.begin == 0});
    }
}

bool is_numeric(char32_t c) {
    // Rust's char::is_numeric, which tokenizers' Digits uses: general categories Nd, Nl and No.
    const int8_t type = u_charType(static_cast<UChar32>(c));
    return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

}  // namespace

void SplitPreTokenizer::pre_tokenize(std::vector<Word>& words) const {
    std::vector<Word> out;
    out.reserve(words.size());
    for (const Word& word : words)
        split_word(word, pattern_.find_all(word.text), invert_, behavior_, out);
    words = std::move(out);
}

ByteLevelPreTokenizer::ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
    : add_prefix_space_(add_prefix_space) {
    if (use_regex) gpt2_split_ = std::make_shared<const Pattern>(Pattern::regex(kGpt2SplitPattern));
}

void ByteLevelPreTokenizer::pre_tokenize(std::vector<Word>& words) const {
    if (add_prefix_space_) {
        for (Word& word : words)
            if (!word.text.starts_with(' ')) word.text.insert(word.text.begin(), ' ');
    }
    if (gpt2_split_) {
        std::vector<Word> out;
        for (const Word& word : words)
            split_word(word, gpt2_split_->find_all(word.text), false, SplitBehavior::Isolated, out);
        words = std::move(out);
    }
    for (Word& word : words)
        word.text = to_byte_level(word.text);
}

void DigitsPreTokenizer::pre_tokenize(std::vector<Word>& words) const {
    std::vector<Word> out;
    std::vector<TextSpan> digits;
    for (const Word& word : words) {
        digits.clear();
        for (size_t pos = 0; pos < word.text.size();) {
            const size_t begin = pos;
            if (is_numeric(next_code_point(word.text, pos))) digits.push_back({begin, pos});
        }
        split_word(word, digits, false,
                   individual_digits_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous, out);
    }
    words = std::move(out);
}

void MetaspacePreTokenizer::pre_tokenize(std::vector<Word>& words) const {
    std::vector<Word> out;
    for (Word& word : words) {
        word.text = space_.replace_all(word.text, replacement_);
        const bool prepend = prepend_scheme_ == PrependScheme::Always ||
                             (prepend_scheme_ == PrependScheme::First && word.at_text_start);
        if (prepend && !word.text.starts_with(replacement_)) word.text.insert(0, replacement_);
        if (split_)
            split_word(word, replacement_pattern_.find_all(word.text), false, SplitBehavior::MergedWithNext,
                       out);
        else if (!word.text.empty())
            out.push_back(std::move(word));
    }
    words = std::move(out);
}

void PreTokenizerSequence::pre_tokenize(std::vector<Word>& words) const {
    for (const auto& step : steps_)
        step->pre_tokenize(words);
}

}  // namespace loom::tok
