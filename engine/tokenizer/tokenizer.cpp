#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace loom {

std::optional<int32_t> TokenizerComponents::find(std::string_view piece) const {
    for (const tok::AddedToken& token : added_tokens)
        if (token.content == piece) return token.id;
    return model.find(piece);
}

TokenizerImpl::TokenizerImpl(TokenizerComponents components) : parts_(std::move(components)) {
    // The pieces by id: the model's vocabulary, then the added tokens (which may reuse a model id, as
    // Llama 2's <s> does, or extend the range, as Llama 3's <|begin_of_text|> does).
    // Vocabularies are dense: an id far beyond the number of pieces is a corrupt file, and would make the
    // tables below huge.
    const size_t entries = parts_.model.vocab().size() + parts_.added_tokens.size();
    auto assign = [&](int32_t id, const std::string& piece, uint8_t flags) {
        if (id < 0 || static_cast<size_t>(id) >= entries)
            fail("token id ", id, " of \"", piece, "\" is outside the vocabulary's ", entries, " entries");
        if (static_cast<size_t>(id) >= pieces_.size()) {
            pieces_.resize(static_cast<size_t>(id) + 1);
            flags_.resize(static_cast<size_t>(id) + 1, 0);
        }
        if ((flags_[id] & kAssigned) && pieces_[id] != piece && !(flags & kAdded))
            fail("token id ", id, " is given to both \"", pieces_[id], "\" and \"", piece, "\"");
        if (piece.empty()) fail("token id ", id, " has an empty piece");
        if (!tok::is_valid_utf8(piece)) fail("the piece of token id ", id, " is not valid UTF-8");
        pieces_[id] = piece;
        flags_[id] = static_cast<uint8_t>((flags_[id] & kSpecial) | kAssigned | flags);
    };
    for (const auto& [piece, id] : parts_.model.vocab())
        assign(id, piece, 0);
    std::vector<tok::AddedToken> raw, normalized;
    for (const tok::AddedToken& token : parts_.added_tokens) {
        assign(token.id, token.content, static_cast<uint8_t>(kAdded | (token.special ? kSpecial : 0)));
        added_ids_.insert_or_assign(token.content, token.id);
        // As in Hugging Face tokenizers: special tokens are always found in the text as written; the others
        // marked "normalized" are found in normalized text, so their content is normalized the same way.
        if (token.special || !token.normalized) {
            raw.push_back(token);
        } else {
            normalized.push_back(token);
            if (parts_.normalizer) parts_.normalizer->normalize(normalized.back().content);
        }
    }
    raw_matcher_ = tok::AddedTokenMatcher(raw);
    normalized_matcher_ = tok::AddedTokenMatcher(normalized);

    // Special tokens must exist, and count as control tokens for decode(skip_special).
    SpecialTokens& special = parts_.special;
    auto check_special = [&](const std::optional<int32_t>& id, const char* name) {
        if (!id) return;
        if (*id < 0 || *id >= vocab_size() || !(flags_[*id] & kAssigned))
            fail("the ", name, " token id ", *id, " is not in the vocabulary (", vocab_size(), " ids)");
    };
    check_special(special.bos, "bos");
    check_special(special.eos, "eos");
    check_special(special.unk, "unk");
    check_special(special.pad, "pad");
    for (int32_t id : special.end_of_generation)
        check_special(id, "end-of-generation");
    if (special.add_bos && !special.bos) fail("the tokenizer is to add a bos token, but none is defined");
    if (special.add_eos && !special.eos) fail("the tokenizer is to add an eos token, but none is defined");
    for (const auto& id : {special.bos, special.eos, special.unk})
        if (id) flags_[*id] |= kSpecial;
    if (special.eos && std::find(special.end_of_generation.begin(), special.end_of_generation.end(),
                                 *special.eos) == special.end_of_generation.end())
        special.end_of_generation.insert(special.end_of_generation.begin(), *special.eos);
}

void TokenizerImpl::check_id(int32_t id) const {
    if (id < 0 || id >= vocab_size() || !(flags_[id] & kAssigned))
        fail("token id ", id, " is not in the vocabulary (", vocab_size(), " ids)");
}

const std::string& TokenizerImpl::piece(int32_t id) const {
    check_id(id);
    return pieces_[id];
}

bool TokenizerImpl::is_special(int32_t id) const {
    check_id(id);
    return flags_[id] & kSpecial;
}

std::optional<int32_t> TokenizerImpl::find_token(std::string_view piece) const {
    if (auto it = added_ids_.find(piece); it != added_ids_.end()) return it->second;
    return parts_.model.find(piece);
}

std::vector<int32_t> TokenizerImpl::encode(std::string_view text, const EncodeOptions& options) const {
    std::string repaired;
    if (!tok::is_valid_utf8(text)) {
        repaired = tok::to_valid_utf8(text);
        text = repaired;
    }
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 2);
    const SpecialTokens& special = parts_.special;
    if (options.add_special && special.add_bos) ids.push_back(*special.bos);
    for (const tok::Segment& segment : raw_matcher_.split(text, options.parse_special)) {
        if (segment.token >= 0)
            ids.push_back(segment.token);
        else
            encode_plain(segment.text, segment.offset == 0, options, ids);
    }
    if (options.add_special && special.add_eos) ids.push_back(*special.eos);
    return ids;
}

void TokenizerImpl::encode_plain(std::string_view text, bool at_text_start, const EncodeOptions& options,
                                 std::vector<int32_t>& ids) const {
    std::string normalized(text);
    if (parts_.normalizer) parts_.normalizer->normalize(normalized);
    if (normalized_matcher_.empty()) {
        encode_normalized(normalized, at_text_start, ids);
        return;
    }
    for (const tok::Segment& segment : normalized_matcher_.split(normalized, options.parse_special)) {
        if (segment.token >= 0)
            ids.push_back(segment.token);
        else
            encode_normalized(segment.text, at_text_start && segment.offset == 0, ids);
    }
}

void TokenizerImpl::encode_normalized(std::string_view text, bool at_text_start,
                                      std::vector<int32_t>& ids) const {
    if (text.empty()) return;
    std::vector<tok::Word> words{{std::string(text), at_text_start}};
    if (parts_.pre_tokenizer) parts_.pre_tokenizer->pre_tokenize(words);
    for (const tok::Word& word : words)
        if (!word.text.empty()) parts_.model.encode_word(word.text, ids);
}

std::string TokenizerImpl::decode_bytes(std::span<const int32_t> ids, bool skip_special,
                                        bool starts_sequence) const {
    std::vector<std::string> pieces;
    std::vector<bool> literal;
    pieces.reserve(ids.size());
    literal.reserve(ids.size());
    for (int32_t id : ids) {
        check_id(id);
        if (skip_special && (flags_[id] & kSpecial)) continue;
        pieces.push_back(pieces_[id]);
        literal.push_back(flags_[id] & kAdded);
    }
    if (pieces.empty()) return {};
    return parts_.decoder.decode(std::move(pieces), std::move(literal), starts_sequence);
}

// ---- Tokenizer: the public face of TokenizerImpl.

Tokenizer::Tokenizer(std::unique_ptr<TokenizerImpl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
    return impl_->encode(text, options);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
    return tok::to_valid_utf8(impl_->decode_bytes(ids, skip_special, true));
}

std::string Tokenizer::token_text(int32_t id) const {
    return tok::to_valid_utf8(impl_->decode_bytes({&id, 1}, false, false));
}

int32_t Tokenizer::vocab_size() const {
    return impl_->vocab_size();
}
const std::string& Tokenizer::piece(int32_t id) const {
    return impl_->piece(id);
}
bool Tokenizer::is_special(int32_t id) const {
    return impl_->is_special(id);
}
std::optional<int32_t> Tokenizer::find_token(std::string_view piece) const {
    return impl_->find_token(piece);
}
const SpecialTokens& Tokenizer::special() const {
    return impl_->special();
}
std::string Tokenizer::kind() const {
    return impl_->kind();
}

// ---- StreamDecoder

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::push(int32_t id) {
    const TokenizerImpl& impl = tokenizer_->impl();
    if (skip_special_ && impl.is_special(id)) return {};
    // Every decoder step is local to a token except the removal of the leading space, which only the first
    // token of the sequence gets: decoding token by token with that flag gives the bytes decode() gives.
    pending_bytes_ += impl.decode_bytes({&id, 1}, skip_special_, at_sequence_start_);
    at_sequence_start_ = false;
    size_t incomplete = 0;
    std::string text = tok::to_valid_utf8(pending_bytes_, &incomplete);
    pending_bytes_.erase(0, pending_bytes_.size() - incomplete);
    return text;
}

std::string StreamDecoder::flush() {
    std::string text = tok::to_valid_utf8(pending_bytes_);
    pending_bytes_.clear();
    at_sequence_start_ = true;
    return text;
}

}  // namespace loom
