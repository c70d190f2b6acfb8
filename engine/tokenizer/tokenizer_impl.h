// The inside of a Tokenizer: the stages of tokenizer.h's pipeline, and the tables over all ids. Built once by
// a factory, then only read, so one tokenizer serves any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace loom {

// What a factory assembles (tokenizer_json.cpp, hf_folder.cpp, from_parts.cpp).
struct TokenizerComponents {
    tok::BpeModel model;
    std::vector<tok::AddedToken> added_tokens;         // found in the text before the model runs
    std::unique_ptr<tok::Normalizer> normalizer;       // null: none
    std::unique_ptr<tok::PreTokenizer> pre_tokenizer;  // null: the whole text is one word
    tok::Decoder decoder;
    // Bos/eos and whether encode() adds them: the post-processor's job in tokenizer.json.
    SpecialTokens special;
    std::string kind;  // "byte-level BPE" or "SentencePiece BPE"

    // The id of a piece: an added token's content, or a piece of the model's vocabulary.
    std::optional<int32_t> find(std::string_view piece) const;
};

class TokenizerImpl {
  public:
    // Checks that the components fit together (ids in range, no id with two pieces, bos present when it is to
    // be added) and builds the tables over all ids. Throws Error saying what does not fit.
    explicit TokenizerImpl(TokenizerComponents components);

    std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options) const;
    // The bytes `ids` decode to, before invalid UTF-8 is replaced. `starts_sequence` is false when the ids
    // continue a sequence whose earlier ids were decoded already (StreamDecoder).
    std::string decode_bytes(std::span<const int32_t> ids, bool skip_special, bool starts_sequence) const;

    int32_t vocab_size() const { return static_cast<int32_t>(pieces_.size()); }
    const std::string& piece(int32_t id) const;
    bool is_special(int32_t id) const;
    std::optional<int32_t> find_token(std::string_view piece) const;
    const SpecialTokens& special() const { return parts_.special; }
    const std::string& kind() const { return parts_.kind; }

  private:
    enum TokenFlags : uint8_t { kAssigned = 1, kAdded = 2, kSpecial = 4 };

    void check_id(int32_t id) const;
    // Plain text between added tokens: normalized, split, merged.
    void encode_plain(std::string_view text, bool at_text_start, const EncodeOptions& options,
                      std::vector<int32_t>& ids) const;
    void encode_normalized(std::string_view text, bool at_text_start, std::vector<int32_t>& ids) const;

    TokenizerComponents parts_;
    std::vector<std::string> pieces_;            // by id: the model's piece, or the added token's content
    std::vector<uint8_t> flags_;                 // by id: TokenFlags
    tok::PieceIds added_ids_;                    // added token content -> id
    tok::AddedTokenMatcher raw_matcher_;         // added tokens matched in the text as written
    tok::AddedTokenMatcher normalized_matcher_;  // those matched after normalization ("normalized": true)
};

}  // namespace loom
