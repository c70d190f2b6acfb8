#include "tokenizer/gguf_tokenizer.h"

#include "formats/gguf_keys.h"
#include "util/error.h"

namespace loom {

Tokenizer tokenizer_from_gguf(const GgufMetadata& meta) {
    namespace key = gguf::key;
    TokenizerParts parts;
    std::optional<std::string_view> model = meta.get_string(key::kTokenizerModel);
    if (!model) fail(meta.source(), ": no tokenizer (", key::kTokenizerModel, " is missing)");
    parts.model = std::string(*model);
    parts.pre = std::string(meta.get_string(key::kTokenizerPre).value_or(""));
    std::optional<std::span<const std::string>> tokens = meta.get_string_array(key::kTokenizerTokens);
    if (!tokens) fail(meta.source(), ": ", key::kTokenizerTokens, " is missing");
    parts.tokens.assign(tokens->begin(), tokens->end());
    if (auto scores = meta.get_float_array(key::kTokenizerScores)) parts.scores = std::move(*scores);
    if (auto types = meta.get_int_array(key::kTokenizerTokenType)) {
        parts.token_types.reserve(types->size());
        for (int64_t type : *types) parts.token_types.push_back(static_cast<int32_t>(type));
    }
    if (auto merges = meta.get_string_array(key::kTokenizerMerges)) parts.merges.assign(merges->begin(), merges->end());

    auto id = [&](std::string_view name) -> std::optional<int32_t> {
        std::optional<uint64_t> value = meta.get_uint(name);
        if (!value) return std::nullopt;
        if (*value >= parts.tokens.size())
            fail(meta.source(), ": ", name, " = ", *value, " is outside the vocabulary of ", parts.tokens.size());
        return static_cast<int32_t>(*value);
    };
    parts.special.bos = id(key::kTokenizerBosTokenId);
    parts.special.eos = id(key::kTokenizerEosTokenId);
    parts.special.unk = id(key::kTokenizerUnknownTokenId);
    parts.special.pad = id(key::kTokenizerPaddingTokenId);
    if (auto eot = id(key::kTokenizerEotTokenId)) parts.special.end_of_generation.push_back(*eot);
    // llama.cpp's defaults: SentencePiece models add BOS unless told otherwise, byte-level ones do not.
    parts.special.add_bos = meta.get_bool(key::kTokenizerAddBosToken).value_or(parts.model == "llama");
    parts.special.add_eos = meta.get_bool(key::kTokenizerAddEosToken).value_or(false);
    parts.add_space_prefix = meta.get_bool(key::kTokenizerAddSpacePrefix).value_or(true);
    return Tokenizer::from_parts(parts);
}

}  // namespace loom
