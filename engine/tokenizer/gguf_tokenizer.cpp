#include "tokenizer/gguf_tokenizer.h"

#include <map>

#include "formats/gguf_keys.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/pre_tokenizer.h"
#include "util/error.h"

namespace loom {

namespace {

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum TokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kByte = 6 };

// Every object of `type` in a pre-tokenizer / decoder tree (Sequence nests them).
void find_components(const nlohmann::json& node, const std::string& type,
                     std::vector<const nlohmann::json*>& found) {
    if (node.is_object()) {
        if (node.value("type", "") == type) found.push_back(&node);
        for (const char* list : {"pretokenizers", "decoders", "normalizers"})
            if (node.contains(list) && node[list].is_array())
                for (const auto& child : node[list])
                    find_components(child, type, found);
    }
}

bool has_component(const nlohmann::json& node, const std::string& type) {
    std::vector<const nlohmann::json*> found;
    find_components(node, type, found);
    return !found.empty();
}

// The tokenizer.ggml.pre name of a byte-level tokenizer's split pattern.
std::string pre_tokenizer_name(const nlohmann::json& pre_tokenizer, const std::string& source) {
    std::vector<const nlohmann::json*> splits;
    find_components(pre_tokenizer, "Split", splits);
    if (splits.empty()) return "gpt2";  // ByteLevel with use_regex: GPT-2's own pattern
    const nlohmann::json& pattern = (*splits.front())["pattern"];
    std::string regex = pattern.is_object() ? pattern.value("Regex", "") : "";
    if (regex == tok::kLlama3SplitPattern) return "llama-bpe";
    if (regex == tok::kQwen2SplitPattern) return "qwen2";
    if (regex == tok::kGpt2SplitPattern) return "gpt2";
    fail(source,
         ": its split pattern is not one GGUF readers know (GPT-2, Llama 3, Qwen2), so it cannot be "
         "written as GGUF");
}

}  // namespace

TokenizerParts tokenizer_parts_from_gguf(const GgufMetadata& meta) {
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
        for (int64_t type : *types)
            parts.token_types.push_back(static_cast<int32_t>(type));
    }
    if (auto merges = meta.get_string_array(key::kTokenizerMerges))
        parts.merges.assign(merges->begin(), merges->end());

    auto id = [&](std::string_view name) -> std::optional<int32_t> {
        std::optional<uint64_t> value = meta.get_uint(name);
        // llama.cpp writes -1 (as uint32 0xFFFFFFFF) for "no such token".
        if (!value || *value == 0xFFFFFFFFull) return std::nullopt;
        if (*value >= parts.tokens.size())
            fail(meta.source(), ": ", name, " = ", *value, " is outside the vocabulary of ",
                 parts.tokens.size());
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
    return parts;
}

Tokenizer tokenizer_from_gguf(const GgufMetadata& meta) {
    return Tokenizer::from_parts(tokenizer_parts_from_gguf(meta));
}

TokenizerParts tokenizer_parts_from_hf_folder(const std::filesystem::path& model_dir) {
    const std::filesystem::path path = model_dir / "tokenizer.json";
    const std::string source = path.string();
    const nlohmann::json json = tok::read_json_file(path);
    const nlohmann::json& model = json.at("model");
    if (model.value("type", "BPE") != "BPE") fail(source, ": only BPE tokenizers can be written as GGUF");

    // The vocabulary by id: the model's pieces, then the added tokens.
    std::map<int32_t, std::pair<std::string, int32_t>> by_id;  // id -> (piece, token type)
    for (const auto& [piece, id] : model.at("vocab").items())
        by_id[id.get<int32_t>()] = {piece, kNormal};
    if (json.contains("added_tokens"))
        for (const auto& added : json["added_tokens"])
            by_id[added.at("id").get<int32_t>()] = {added.at("content").get<std::string>(),
                                                    added.value("special", false) ? kControl : kUserDefined};
    TokenizerParts parts;
    for (const auto& [id, entry] : by_id) {
        if (id != static_cast<int32_t>(parts.tokens.size()))
            fail(source, ": token ids are not contiguous (no token ", parts.tokens.size(), ")");
        parts.tokens.push_back(entry.first);
        parts.token_types.push_back(entry.second);
    }

    std::vector<std::string> merges;
    for (const auto& merge : model.value("merges", nlohmann::json::array()))
        merges.push_back(merge.is_string()
                             ? merge.get<std::string>()
                             : merge.at(0).get<std::string>() + " " + merge.at(1).get<std::string>());

    const nlohmann::json pre_tokenizer = json.value("pre_tokenizer", nlohmann::json());
    const nlohmann::json decoder = json.value("decoder", nlohmann::json());
    const bool byte_level = has_component(pre_tokenizer, "ByteLevel") || has_component(decoder, "ByteLevel");
    if (byte_level) {
        parts.model = "gpt2";
        parts.pre = pre_tokenizer_name(pre_tokenizer, source);
        parts.merges = std::move(merges);
    } else {
        // SentencePiece-style: a piece made by merge number r scores -r, so that merging the highest-scoring
        // pair first replays the merges in their order. Pieces no merge makes (characters, bytes) score
        // below them all.
        parts.model = "llama";
        std::map<std::string, float> score_of;
        for (size_t rank = 0; rank < merges.size(); ++rank) {
            std::string joined = merges[rank];
            joined.erase(joined.find(' '), 1);
            score_of.try_emplace(joined, -static_cast<float>(rank));
        }
        const float unmerged = -static_cast<float>(merges.size()) - 1.0f;
        for (size_t id = 0; id < parts.tokens.size(); ++id) {
            auto it = score_of.find(parts.tokens[id]);
            parts.scores.push_back(it == score_of.end() ? unmerged : it->second);
            const std::string& piece = parts.tokens[id];
            if (parts.token_types[id] == kNormal && piece.size() == 6 && piece.rfind("<0x", 0) == 0 &&
                piece.back() == '>')
                parts.token_types[id] = kByte;
        }
        const nlohmann::json normalizer = json.value("normalizer", nlohmann::json());
        std::vector<const nlohmann::json*> metaspaces;
        find_components(pre_tokenizer, "Metaspace", metaspaces);
        parts.add_space_prefix =
            has_component(normalizer, "Prepend") ||
            (!metaspaces.empty() && metaspaces.front()->value("prepend_scheme", "always") != "never");
    }

    Tokenizer tokenizer = Tokenizer::from_hf_folder(model_dir);
    parts.special = tokenizer.special();
    if (parts.special.unk && parts.token_types[size_t(*parts.special.unk)] != kControl)
        parts.token_types[size_t(*parts.special.unk)] = kUnknown;
    return parts;
}

void write_tokenizer_metadata(const TokenizerParts& parts, GgufMetadata& metadata) {
    namespace key = gguf::key;
    metadata.set(std::string(key::kTokenizerModel), GgufValue::string(parts.model));
    if (!parts.pre.empty()) metadata.set(std::string(key::kTokenizerPre), GgufValue::string(parts.pre));
    metadata.set(std::string(key::kTokenizerTokens), GgufValue::array(parts.tokens));
    if (!parts.scores.empty())
        metadata.set(std::string(key::kTokenizerScores), GgufValue::array(parts.scores));
    if (!parts.token_types.empty())
        metadata.set(std::string(key::kTokenizerTokenType), GgufValue::array(parts.token_types));
    if (!parts.merges.empty())
        metadata.set(std::string(key::kTokenizerMerges), GgufValue::array(parts.merges));
    auto set_id = [&](std::string_view name, const std::optional<int32_t>& id) {
        if (id) metadata.set(std::string(name), GgufValue::scalar(static_cast<uint32_t>(*id)));
    };
    set_id(key::kTokenizerBosTokenId, parts.special.bos);
    set_id(key::kTokenizerEosTokenId, parts.special.eos);
    set_id(key::kTokenizerUnknownTokenId, parts.special.unk);
    set_id(key::kTokenizerPaddingTokenId, parts.special.pad);
    for (int32_t id : parts.special.end_of_generation)
        if (id != parts.special.eos) {  // llama.cpp has one end-of-turn id besides eos
            set_id(key::kTokenizerEotTokenId, id);
            break;
        }
    metadata.set(std::string(key::kTokenizerAddBosToken), GgufValue::scalar(parts.special.add_bos));
    metadata.set(std::string(key::kTokenizerAddEosToken), GgufValue::scalar(parts.special.add_eos));
    if (parts.model == "llama")
        metadata.set(std::string(key::kTokenizerAddSpacePrefix), GgufValue::scalar(parts.add_space_prefix));
}

}  // namespace loom
