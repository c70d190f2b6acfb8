// Tokenizer::from_parts: the tokenizer GGUF metadata describes, built as the model's tokenizer.json would
// build it, so that a model gives the same ids whichever format it was loaded from.
#include <array>
#include <string_view>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"
#include "util/error.h"

namespace loom {

namespace {

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum TokenType : int32_t {
    kNormal = 1,
    kUnknown = 2,
    kControl = 3,
    kUserDefined = 4,
    kUnused = 5,
    kByte = 6
};

// The byte-level pre-tokenizers tokenizer.ggml.pre names, with what their tokenizer.json files add to the
// split pattern.
struct ByteLevelPreset {
    std::string_view name;
    std::string_view split_pattern;
    bool nfc;            // Qwen2's normalizer composes characters first
    bool ignore_merges;  // Llama 3's model takes whole-word vocabulary matches as they are
};
constexpr std::array kByteLevelPresets{
    ByteLevelPreset{"gpt2", tok::kGpt2SplitPattern, false, false},
    ByteLevelPreset{"llama-bpe", tok::kLlama3SplitPattern, false, true},
    ByteLevelPreset{"qwen2", tok::kQwen2SplitPattern, true, false},
};

const ByteLevelPreset& byte_level_preset(const std::string& pre) {
    std::string supported;
    for (const ByteLevelPreset& preset : kByteLevelPresets) {
        if (preset.name == pre) return preset;
        supported += cat(supported.empty() ? "" : ", ", "\"", preset.name, "\"");
    }
    fail("tokenizer.ggml.pre \"", pre, "\" is not supported (supported: ", supported, ")");
}

int32_t type_of(const TokenizerParts& parts, size_t id) {
    return parts.token_types.empty() ? kNormal : parts.token_types[id];
}

// The model's own vocabulary: every piece but control and user-defined tokens, which are added tokens. A
// piece listed twice keeps its first id.
tok::PieceIds model_vocab(const TokenizerParts& parts) {
    tok::PieceIds vocab;
    for (size_t id = 0; id < parts.tokens.size(); ++id) {
        const int32_t type = type_of(parts, id);
        if (type != kControl && type != kUserDefined)
            vocab.try_emplace(parts.tokens[id], static_cast<int32_t>(id));
    }
    return vocab;
}

// Control and unknown tokens are special added tokens, user-defined ones are added tokens found in the text
// even when special tokens are not parsed.
std::vector<tok::AddedToken> added_tokens(const TokenizerParts& parts) {
    std::vector<tok::AddedToken> tokens;
    for (size_t id = 0; id < parts.tokens.size(); ++id) {
        const int32_t type = type_of(parts, id);
        if (type != kControl && type != kUnknown && type != kUserDefined) continue;
        tok::AddedToken token;
        token.id = static_cast<int32_t>(id);
        token.content = parts.tokens[id];
        token.special = type != kUserDefined;
        tokens.push_back(std::move(token));
    }
    return tokens;
}

// SentencePiece BPE, as Hugging Face converts Llama 2's tokenizer.model: "▁" before the text and for every
// space, merges by score, <0xXX> byte fallback, and the decoder undoing all of that.
void build_sentencepiece(const TokenizerParts& parts, TokenizerComponents& out) {
    const std::string metaspace = "\xE2\x96\x81";  // "▁"
    if (parts.scores.size() != parts.tokens.size())
        fail("a \"llama\" tokenizer needs one score per token (tokenizer.ggml.scores): ", parts.scores.size(),
             " scores for ", parts.tokens.size(), " tokens");
    std::vector<bool> mergeable(parts.tokens.size());
    for (size_t id = 0; id < parts.tokens.size(); ++id)
        mergeable[id] = type_of(parts, id) == kNormal;

    tok::BpeOptions options;
    options.byte_fallback = true;
    options.fuse_unk = true;
    options.unk = out.special.unk;
    out.model = tok::BpeModel(model_vocab(parts),
                              tok::merges_from_scores(parts.tokens, parts.scores, mergeable), options);

    std::vector<std::unique_ptr<tok::Normalizer>> normalizers;
    if (parts.add_space_prefix) normalizers.push_back(std::make_unique<tok::PrependNormalizer>(metaspace));
    normalizers.push_back(std::make_unique<tok::ReplaceNormalizer>(tok::Pattern::literal(" "), metaspace));
    out.normalizer = std::make_unique<tok::NormalizerSequence>(std::move(normalizers));

    std::vector<std::unique_ptr<tok::DecoderStep>> steps;
    steps.push_back(std::make_unique<tok::ReplaceDecoder>(tok::Pattern::literal(metaspace), " "));
    steps.push_back(std::make_unique<tok::ByteFallbackDecoder>());
    steps.push_back(std::make_unique<tok::FuseDecoder>());
    if (parts.add_space_prefix) steps.push_back(std::make_unique<tok::StripDecoder>(" ", 1, 0));
    out.decoder = tok::Decoder(std::move(steps));
    out.kind = "SentencePiece BPE";
}

// Byte-level BPE: the preset's split pattern, GPT-2's byte alphabet, merges by rank.
void build_byte_level(const TokenizerParts& parts, TokenizerComponents& out) {
    const ByteLevelPreset& preset = byte_level_preset(parts.pre);
    if (parts.merges.empty()) fail("a \"gpt2\" tokenizer needs its merges (tokenizer.ggml.merges)");
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(parts.merges.size());
    for (size_t i = 0; i < parts.merges.size(); ++i) {
        const std::string& merge = parts.merges[i];
        const size_t space = merge.find(' ');
        if (space == std::string::npos || merge.find(' ', space + 1) != std::string::npos)
            fail("merge #", i, " is \"", merge, "\"; expected two pieces separated by one space");
        pairs.emplace_back(merge.substr(0, space), merge.substr(space + 1));
    }
    tok::PieceIds vocab = model_vocab(parts);
    std::vector<tok::BpeMerge> merges = tok::merges_from_pairs(vocab, pairs);
    tok::BpeOptions options;
    options.ignore_merges = preset.ignore_merges;
    out.model = tok::BpeModel(std::move(vocab), merges, options);

    if (preset.nfc) out.normalizer = std::make_unique<tok::UnicodeNormalizer>(tok::UnicodeForm::NFC);
    std::vector<std::unique_ptr<tok::PreTokenizer>> pre_tokenizers;
    pre_tokenizers.push_back(std::make_unique<tok::SplitPreTokenizer>(
        tok::Pattern::regex(preset.split_pattern), tok::SplitBehavior::Isolated, false));
    pre_tokenizers.push_back(std::make_unique<tok::ByteLevelPreTokenizer>(false, false));
    out.pre_tokenizer = std::make_unique<tok::PreTokenizerSequence>(std::move(pre_tokenizers));

    std::vector<std::unique_ptr<tok::DecoderStep>> steps;
    steps.push_back(std::make_unique<tok::ByteLevelDecoder>());
    out.decoder = tok::Decoder(std::move(steps));
    out.kind = "byte-level BPE";
}

}  // namespace

Tokenizer Tokenizer::from_parts(const TokenizerParts& parts) {
    try {
        if (parts.tokens.empty()) fail("the vocabulary (tokenizer.ggml.tokens) is empty");
        if (!parts.token_types.empty() && parts.token_types.size() != parts.tokens.size())
            fail("tokenizer.ggml.token_type has ", parts.token_types.size(), " entries for ",
                 parts.tokens.size(), " tokens");
        TokenizerComponents components;
        components.special = parts.special;
        if (!components.special.unk) {
            for (size_t id = 0; id < parts.tokens.size() && !components.special.unk; ++id)
                if (type_of(parts, id) == kUnknown) components.special.unk = static_cast<int32_t>(id);
        }
        if (components.special.unk && (*components.special.unk < 0 ||
                                       static_cast<size_t>(*components.special.unk) >= parts.tokens.size()))
            fail("the unknown token id ", *components.special.unk, " is not in the vocabulary");
        components.added_tokens = added_tokens(parts);
        if (parts.model == "llama")
            build_sentencepiece(parts, components);
        else if (parts.model == "gpt2")
            build_byte_level(parts, components);
        else
            fail("tokenizer.ggml.model \"", parts.model,
                 "\" is not supported (supported: \"llama\" for "
                 "SentencePiece BPE, \"gpt2\" for byte-level BPE)");
        return Tokenizer(std::make_unique<TokenizerImpl>(std::move(components)));
    } catch (const Error& error) {
        fail("cannot build the tokenizer from GGUF metadata: ", error.what());
    }
}

}  // namespace loom
