#include "tokenizer/decoder.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace loom::tok {

void ByteLevelDecoder::apply(DecodingState& state) const {
    std::string bytes;
    for (size_t i = 0; i < state.tokens.size(); ++i) {
        const std::string& token = state.tokens[i];
        if (state.literal[i]) {
            bytes += token;
            continue;
        }
        // A piece with a character outside the alphabet cannot be byte-level; it is kept as written, as
        // Hugging Face tokenizers does.
        const size_t mark = bytes.size();
        for (size_t pos = 0; pos < token.size();) {
            if (!append_byte_of(next_code_point(token, pos), bytes)) {
                bytes.resize(mark);
                bytes += token;
                break;
            }
        }
    }
    state.tokens.assign(1, std::move(bytes));
    state.literal.assign(1, false);
    state.fused = true;
}

void ReplaceDecoder::apply(DecodingState& state) const {
    for (std::string& token : state.tokens)
        token = pattern_.replace_all(token, content_);
}

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

void ByteFallbackDecoder::apply(DecodingState& state) const {
    for (std::string& token : state.tokens) {
        if (token.size() != 6 || !token.starts_with("<0x") || token[5] != '>') continue;
        const int high = hex_digit(token[3]), low = hex_digit(token[4]);
        if (high < 0 || low < 0) continue;
        token.assign(1, static_cast<char>(high * 16 + low));
    }
}

void FuseDecoder::apply(DecodingState& state) const {
    std::string joined;
    for (const std::string& token : state.tokens)
        joined += token;
    state.tokens.assign(1, std::move(joined));
    state.literal.assign(1, false);
    state.fused = true;
}

void StripDecoder::apply(DecodingState& state) const {
    const bool strip_start = !state.fused || state.starts_sequence;
    for (std::string& token : state.tokens) {
        size_t begin = 0, end = token.size();
        for (size_t n = 0; strip_start && n < start_ && token.compare(begin, content_.size(), content_) == 0;
             ++n)
            begin += content_.size();
        for (size_t n = 0; n < stop_ && end >= begin + content_.size() &&
                           token.compare(end - content_.size(), content_.size(), content_) == 0;
             ++n)
            end -= content_.size();
        token = token.substr(begin, end - begin);
    }
}

void MetaspaceDecoder::apply(DecodingState& state) const {
    for (size_t i = 0; i < state.tokens.size(); ++i) {
        std::string& token = state.tokens[i];
        token = replacement_.replace_all(token, " ");
        if (i == 0 && state.starts_sequence && prepend_scheme_ != PrependScheme::Never &&
            token.starts_with(' '))
            token.erase(0, 1);
    }
}

Decoder Decoder::join_with_spaces() {
    Decoder decoder;
    decoder.join_with_spaces_ = true;
    return decoder;
}

Decoder::Decoder(std::vector<std::unique_ptr<DecoderStep>> steps) : steps_(std::move(steps)) {
    bool fused = false;
    for (const auto& step : steps_) {
        if (const auto* strip = dynamic_cast<const StripDecoder*>(step.get());
            strip && fused && strip->stop() > 0)
            fail(
                "the decoder chain strips the end of the whole text (Strip with stop > 0 after Fuse or "
                "ByteLevel), which cannot be decoded token by token; no supported model does this");
        fused = fused || step->fuses();
    }
}

std::string Decoder::decode(std::vector<std::string> pieces, std::vector<bool> literal,
                            bool starts_sequence) const {
    if (join_with_spaces_) {
        std::string text;
        for (size_t i = 0; i < pieces.size(); ++i) {
            if (i > 0 || !starts_sequence) text += ' ';
            text += pieces[i];
        }
        return text;
    }
    DecodingState state{std::move(pieces), std::move(literal), starts_sequence, false};
    for (const auto& step : steps_)
        step->apply(state);
    std::string text;
    for (const std::string& token : state.tokens)
        text += token;
    return text;
}

}  // namespace loom::tok
