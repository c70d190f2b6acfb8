#include "tokenizer/tokenizer_json.h"

#include <limits>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace loom {

using tok::JsonField;

namespace {

// Each builder handles the types these model families use and names the others as unsupported.

int32_t token_id(const JsonField& field) {
    const int64_t id = field.integer();
    if (id < 0 || id > std::numeric_limits<int32_t>::max())
        field.fail_here(cat("is not a valid token id: ", id));
    return static_cast<int32_t>(id);
}

tok::Pattern pattern_from(const JsonField& field) {
    if (auto regex = field.optional("Regex")) {
        try {
            return tok::Pattern::regex(regex->string());
        } catch (const Error& error) {
            regex->fail_here(error.what());
        }
    }
    if (auto literal = field.optional("String")) {
        if (literal->string().empty()) literal->fail_here("must not be empty");
        return tok::Pattern::literal(literal->string());
    }
    field.fail_here("must hold a \"Regex\" or a \"String\"");
}

// A Metaspace's "prepend_scheme", or the older "add_prefix_space" boolean it replaced.
tok::PrependScheme prepend_scheme_from(const JsonField& field) {
    if (auto scheme = field.optional("prepend_scheme")) {
        const std::string& name = scheme->string();
        if (name == "always") return tok::PrependScheme::Always;
        if (name == "first") return tok::PrependScheme::First;
        if (name == "never") return tok::PrependScheme::Never;
        scheme->fail_here(cat("is \"", name, "\"; expected \"always\", \"first\" or \"never\""));
    }
    return field.boolean_or("add_prefix_space", true) ? tok::PrependScheme::Always
                                                      : tok::PrependScheme::Never;
}

std::string metaspace_replacement(const JsonField& field) {
    std::string replacement = field.string_or("replacement", "\xE2\x96\x81");  // "▁"
    if (replacement.empty()) field["replacement"].fail_here("must not be empty");
    return replacement;
}

// ---- model

tok::BpeModel bpe_model_from(const JsonField& model, std::optional<int32_t>& unk) {
    const std::string type = model.has("type") ? model["type"].string() : std::string("BPE");
    if (type != "BPE")
        model["type"].fail_here(
            cat("is \"", type,
                "\": this tokenizer model is not supported. Loom supports BPE tokenizers "
                "(byte-level as in GPT-2, Llama 3 and Qwen2, or SentencePiece-style as in "
                "Llama 2 and Mistral), not WordPiece, Unigram or WordLevel."));
    if (auto dropout = model.optional("dropout"); dropout && dropout->number() != 0.0)
        dropout->fail_here("is set: BPE dropout is for training and is not supported");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (auto affix = model.optional(key); affix && !affix->string().empty())
            affix->fail_here("is not supported (no supported model family uses it)");

    tok::PieceIds vocab;
    const JsonField vocab_field = model["vocab"];
    for (const auto& [piece, id] : vocab_field.object()) {
        const JsonField id_field(id, "tokenizer.json", vocab_field.path() + "[\"" + piece + "\"]");
        vocab.emplace(piece, token_id(id_field));
    }
    if (vocab.empty()) vocab_field.fail_here("is empty");

    std::vector<std::pair<std::string, std::string>> pairs;
    const JsonField merges = model["merges"];
    pairs.reserve(merges.array().size());
    for (size_t i = 0; i < merges.array().size(); ++i) {
        const JsonField merge = merges.at(i);
        if (merge.json().is_string()) {
            // The older form "left right": pieces of these vocabularies never contain a plain space.
            const std::string& text = merge.string();
            const size_t space = text.find(' ');
            if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
                merge.fail_here(cat("is \"", text, "\"; expected two pieces separated by one space"));
            pairs.emplace_back(text.substr(0, space), text.substr(space + 1));
        } else if (merge.json().is_array() && merge.array().size() == 2) {
            pairs.emplace_back(merge.at(0).string(), merge.at(1).string());
        } else {
            merge.fail_here("must be a string \"left right\" or a pair of strings");
        }
    }

    tok::BpeOptions options;
    options.byte_fallback = model.boolean_or("byte_fallback", false);
    options.fuse_unk = model.boolean_or("fuse_unk", false);
    options.ignore_merges = model.boolean_or("ignore_merges", false);
    if (auto unk_token = model.optional("unk_token")) {
        auto it = vocab.find(unk_token->string());
        if (it == vocab.end())
            unk_token->fail_here(cat("\"", unk_token->string(), "\" is not in model.vocab"));
        options.unk = it->second;
        unk = it->second;
    }
    try {
        std::vector<tok::BpeMerge> resolved = tok::merges_from_pairs(vocab, pairs);
        return tok::BpeModel(std::move(vocab), resolved, options);
    } catch (const Error& error) {
        merges.fail_here(cat("is inconsistent with model.vocab: ", error.what()));
    }
}

std::vector<tok::AddedToken> added_tokens_from(const std::optional<JsonField>& list) {
    std::vector<tok::AddedToken> tokens;
    if (!list) return tokens;
    for (size_t i = 0; i < list->array().size(); ++i) {
        const JsonField entry = list->at(i);
        tok::AddedToken token;
        token.id = token_id(entry["id"]);
        token.content = entry["content"].string();
        if (token.content.empty()) entry["content"].fail_here("must not be empty");
        token.special = entry.boolean_or("special", false);
        token.lstrip = entry.boolean_or("lstrip", false);
        token.rstrip = entry.boolean_or("rstrip", false);
        token.single_word = entry.boolean_or("single_word", false);
        token.normalized = entry.boolean_or("normalized", !token.special);
        tokens.push_back(std::move(token));
    }
    return tokens;
}

// ---- normalizer

std::unique_ptr<tok::Normalizer> normalizer_from(const JsonField& field) {
    const std::string& type = field["type"].string();
    if (type == "Sequence") {
        std::vector<std::unique_ptr<tok::Normalizer>> steps;
        const JsonField list = field["normalizers"];
        for (size_t i = 0; i < list.array().size(); ++i)
            steps.push_back(normalizer_from(list.at(i)));
        return std::make_unique<tok::NormalizerSequence>(std::move(steps));
    }
    if (type == "Prepend") return std::make_unique<tok::PrependNormalizer>(field["prepend"].string());
    if (type == "Replace")
        return std::make_unique<tok::ReplaceNormalizer>(pattern_from(field["pattern"]),
                                                        field["content"].string());
    if (type == "NFC") return std::make_unique<tok::UnicodeNormalizer>(tok::UnicodeForm::NFC);
    if (type == "NFD") return std::make_unique<tok::UnicodeNormalizer>(tok::UnicodeForm::NFD);
    if (type == "NFKC") return std::make_unique<tok::UnicodeNormalizer>(tok::UnicodeForm::NFKC);
    if (type == "NFKD") return std::make_unique<tok::UnicodeNormalizer>(tok::UnicodeForm::NFKD);
    field["type"].fail_here(
        cat("is \"", type,
            "\": this normalizer is not supported (supported: Sequence, Prepend, Replace, NFC, "
            "NFD, NFKC, NFKD)"));
}

// ---- pre-tokenizer

tok::SplitBehavior split_behavior_from(const JsonField& field) {
    const std::string& name = field.string();
    if (name == "Removed") return tok::SplitBehavior::Removed;
    if (name == "Isolated") return tok::SplitBehavior::Isolated;
    if (name == "MergedWithPrevious") return tok::SplitBehavior::MergedWithPrevious;
    if (name == "MergedWithNext") return tok::SplitBehavior::MergedWithNext;
    if (name == "Contiguous") return tok::SplitBehavior::Contiguous;
    field.fail_here(cat("is \"", name,
                        "\"; expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous"));
}

std::unique_ptr<tok::PreTokenizer> pre_tokenizer_from(const JsonField& field, bool& byte_level) {
    const std::string& type = field["type"].string();
    if (type == "Sequence") {
        std::vector<std::unique_ptr<tok::PreTokenizer>> steps;
        const JsonField list = field["pretokenizers"];
        for (size_t i = 0; i < list.array().size(); ++i)
            steps.push_back(pre_tokenizer_from(list.at(i), byte_level));
        return std::make_unique<tok::PreTokenizerSequence>(std::move(steps));
    }
    if (type == "Split") {
        tok::Pattern pattern = pattern_from(field["pattern"]);
        const tok::SplitBehavior behavior = split_behavior_from(field["behavior"]);
        return std::make_unique<tok::SplitPreTokenizer>(std::move(pattern), behavior,
                                                        field.boolean_or("invert", false));
    }
    if (type == "ByteLevel") {
        byte_level = true;
        return std::make_unique<tok::ByteLevelPreTokenizer>(field.boolean_or("add_prefix_space", true),
                                                            field.boolean_or("use_regex", true));
    }
    if (type == "Digits")
        return std::make_unique<tok::DigitsPreTokenizer>(field.boolean_or("individual_digits", false));
    if (type == "Metaspace")
        return std::make_unique<tok::MetaspacePreTokenizer>(
            metaspace_replacement(field), prepend_scheme_from(field), field.boolean_or("split", true));
    field["type"].fail_here(
        cat("is \"", type,
            "\": this pre-tokenizer is not supported (supported: Sequence, Split, ByteLevel, "
            "Digits, Metaspace)"));
}

// ---- post-processor: which special tokens encode() adds around the text

struct AddedAround {
    std::optional<int32_t> before;
    std::optional<int32_t> after;
};

void post_processor_from(const JsonField& field, AddedAround& added) {
    const std::string& type = field["type"].string();
    if (type == "ByteLevel") return;  // only adjusts offsets, which Loom does not report
    if (type == "Sequence") {
        const JsonField list = field["processors"];
        for (size_t i = 0; i < list.array().size(); ++i)
            post_processor_from(list.at(i), added);
        return;
    }
    if (type != "TemplateProcessing")
        field["type"].fail_here(
            cat("is \"", type,
                "\": this post-processor is not supported (supported: TemplateProcessing, "
                "ByteLevel, Sequence)"));

    // The template for one text: [special token] $A [special token].
    const JsonField single = field["single"];
    const JsonField special_tokens = field["special_tokens"];
    bool seen_sequence = false;
    for (size_t i = 0; i < single.array().size(); ++i) {
        const JsonField item = single.at(i);
        if (item.has("Sequence")) {
            if (seen_sequence) item.fail_here("repeats the sequence; a template for one text has one $A");
            seen_sequence = true;
            continue;
        }
        const std::string& name = item["SpecialToken"]["id"].string();
        const JsonField ids = special_tokens[name]["ids"];
        if (ids.array().size() != 1)
            ids.fail_here("must hold exactly one id (templates that add several tokens are not supported)");
        std::optional<int32_t>& slot = seen_sequence ? added.after : added.before;
        if (slot)
            item.fail_here(
                "is a second special token on the same side of $A, which Loom does not support "
                "(it adds at most a bos before and an eos after the text)");
        slot = token_id(ids.at(0));
    }
    if (!seen_sequence) single.fail_here("has no {\"Sequence\": {\"id\": \"A\"}}");
}

// ---- decoder

void decoder_steps_from(const JsonField& field, std::vector<std::unique_ptr<tok::DecoderStep>>& steps,
                        bool& byte_level) {
    const std::string& type = field["type"].string();
    if (type == "Sequence") {
        const JsonField list = field["decoders"];
        for (size_t i = 0; i < list.array().size(); ++i)
            decoder_steps_from(list.at(i), steps, byte_level);
    } else if (type == "ByteLevel") {
        byte_level = true;
        steps.push_back(std::make_unique<tok::ByteLevelDecoder>());
    } else if (type == "Replace") {
        steps.push_back(
            std::make_unique<tok::ReplaceDecoder>(pattern_from(field["pattern"]), field["content"].string()));
    } else if (type == "ByteFallback") {
        steps.push_back(std::make_unique<tok::ByteFallbackDecoder>());
    } else if (type == "Fuse") {
        steps.push_back(std::make_unique<tok::FuseDecoder>());
    } else if (type == "Strip") {
        const std::string& content = field["content"].string();
        size_t position = 0;
        if (content.empty() || (tok::next_code_point(content, position), position != content.size()))
            field["content"].fail_here("must be one character");
        const int64_t start = field["start"].integer(), stop = field["stop"].integer();
        if (start < 0 || stop < 0) field.fail_here("has a negative start or stop");
        steps.push_back(std::make_unique<tok::StripDecoder>(content, static_cast<size_t>(start),
                                                            static_cast<size_t>(stop)));
    } else if (type == "Metaspace") {
        steps.push_back(std::make_unique<tok::MetaspaceDecoder>(metaspace_replacement(field),
                                                                prepend_scheme_from(field)));
    } else {
        field["type"].fail_here(
            cat("is \"", type,
                "\": this decoder is not supported (supported: Sequence, ByteLevel, Replace, "
                "ByteFallback, Fuse, Strip, Metaspace)"));
    }
}

}  // namespace

TokenizerComponents components_from_tokenizer_json(const JsonField& root) {
    root.object();
    TokenizerComponents parts;
    parts.model = bpe_model_from(root["model"], parts.special.unk);
    parts.added_tokens = added_tokens_from(root.optional("added_tokens"));

    bool byte_level = false;
    if (auto normalizer = root.optional("normalizer")) parts.normalizer = normalizer_from(*normalizer);
    if (auto pre_tokenizer = root.optional("pre_tokenizer"))
        parts.pre_tokenizer = pre_tokenizer_from(*pre_tokenizer, byte_level);

    if (auto decoder = root.optional("decoder")) {
        std::vector<std::unique_ptr<tok::DecoderStep>> steps;
        decoder_steps_from(*decoder, steps, byte_level);
        try {
            parts.decoder = tok::Decoder(std::move(steps));
        } catch (const Error& error) {
            decoder->fail_here(error.what());
        }
    } else {
        parts.decoder = tok::Decoder::join_with_spaces();
    }

    AddedAround added;
    if (auto post_processor = root.optional("post_processor")) post_processor_from(*post_processor, added);
    parts.special.bos = added.before;
    parts.special.add_bos = added.before.has_value();
    parts.special.eos = added.after;
    parts.special.add_eos = added.after.has_value();

    parts.kind = byte_level ? "byte-level BPE" : "SentencePiece BPE";
    return parts;
}

}  // namespace loom
