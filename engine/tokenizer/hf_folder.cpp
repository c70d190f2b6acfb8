// Tokenizer::from_hf_folder and from_tokenizer_json: tokenizer.json for the pipeline, and the special tokens
// from the folder's other files. Hugging Face spreads those over three files that may disagree; the rules:
//   bos, eos, unk, pad: tokenizer_config.json names them ("bos_token": "<s>"); generation_config.json, then
//     config.json give ids ("eos_token_id": 2) when it does not; tokenizer.json's post-processor last.
//   end_of_generation: eos plus every id of generation_config.json's and config.json's eos_token_id (a list
//     for chat models: Llama 3's <|eot_id|>, Qwen2's <|im_end|> and <|endoftext|>).
//   add_bos/add_eos: tokenizer_config.json's add_bos_token/add_eos_token when present (Llama's tokenizer
//     classes rebuild the post-processor from them), else what tokenizer.json's post-processor adds.
// tokenizer_config.json's "clean_up_tokenization_spaces" is deliberately ignored: it deletes spaces before
// punctuation ("Hello ." -> "Hello."), which loses text and cannot be streamed.
#include <algorithm>
#include <cstdint>

#include "tokenizer/json_fields.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/tokenizer_json.h"
#include "util/error.h"

namespace loom {

using tok::JsonField;

namespace {

struct ConfigFile {
    std::string name;
    tok::Json json;  // null when the file is absent
    JsonField root() const { return JsonField(json, name, ""); }
    bool present() const { return !json.is_null(); }
};

ConfigFile read_optional(const std::filesystem::path& dir, const std::string& name) {
    ConfigFile file{name, nullptr};
    if (std::filesystem::exists(dir / name)) file.json = tok::read_json_file(dir / name);
    if (file.present() && !file.json.is_object()) file.root().fail_here("must be a JSON object");
    return file;
}

// A token named in tokenizer_config.json: "<s>", or {"content": "<s>", ...} as older files write it.
std::optional<int32_t> named_token(const ConfigFile& config, const char* key,
                                   const TokenizerComponents& parts) {
    if (!config.present()) return std::nullopt;
    auto field = config.root().optional(key);
    if (!field) return std::nullopt;
    const std::string& name = field->json().is_object() ? (*field)["content"].string() : field->string();
    auto id = parts.find(name);
    if (!id) field->fail_here(cat("names \"", name, "\", which is not in the vocabulary"));
    return id;
}

// "eos_token_id": 2 or [128001, 128008, 128009] in generation_config.json and config.json.
std::vector<int32_t> token_ids(const ConfigFile& config, const char* key) {
    std::vector<int32_t> ids;
    if (!config.present()) return ids;
    auto field = config.root().optional(key);
    if (!field) return ids;
    auto add = [&](const JsonField& value) {
        const int64_t id = value.integer();
        if (id < 0 || id > INT32_MAX) value.fail_here(cat("is not a valid token id: ", id));
        ids.push_back(static_cast<int32_t>(id));
    };
    if (field->json().is_array()) {
        for (size_t i = 0; i < field->array().size(); ++i)
            add(field->at(i));
    } else {
        add(*field);
    }
    return ids;
}

std::optional<int32_t> first_of(std::initializer_list<std::vector<int32_t>> candidates) {
    for (const auto& ids : candidates)
        if (!ids.empty()) return ids.front();
    return std::nullopt;
}

void read_special_tokens(const std::filesystem::path& dir, TokenizerComponents& parts) {
    const ConfigFile tokenizer_config = read_optional(dir, "tokenizer_config.json");
    const ConfigFile generation_config = read_optional(dir, "generation_config.json");
    const ConfigFile model_config = read_optional(dir, "config.json");
    SpecialTokens& special = parts.special;

    const std::vector<int32_t> generation_eos = token_ids(generation_config, "eos_token_id");
    const std::vector<int32_t> config_eos = token_ids(model_config, "eos_token_id");

    if (auto bos = named_token(tokenizer_config, "bos_token", parts)) {
        special.bos = bos;
    } else if (auto id = first_of(
                   {token_ids(generation_config, "bos_token_id"), token_ids(model_config, "bos_token_id")})) {
        special.bos = id;
    }
    if (auto eos = named_token(tokenizer_config, "eos_token", parts)) {
        special.eos = eos;
    } else if (auto id = first_of({generation_eos, config_eos})) {
        special.eos = id;
    }
    if (auto unk = named_token(tokenizer_config, "unk_token", parts)) special.unk = unk;
    if (tokenizer_config.present()) {
        // A pad token that is not in the vocabulary only matters for batching, which Loom does not do.
        if (auto pad = tokenizer_config.root().optional("pad_token")) {
            const std::string& name = pad->json().is_object() ? (*pad)["content"].string() : pad->string();
            special.pad = parts.find(name);
        }
    }
    if (!special.pad)
        special.pad =
            first_of({token_ids(generation_config, "pad_token_id"), token_ids(model_config, "pad_token_id")});

    special.end_of_generation.clear();
    if (special.eos) special.end_of_generation.push_back(*special.eos);
    for (const auto* list : {&generation_eos, &config_eos})
        for (int32_t id : *list)
            if (std::find(special.end_of_generation.begin(), special.end_of_generation.end(), id) ==
                special.end_of_generation.end())
                special.end_of_generation.push_back(id);

    if (tokenizer_config.present()) {
        const JsonField root = tokenizer_config.root();
        special.add_bos = root.boolean_or("add_bos_token", special.add_bos);
        special.add_eos = root.boolean_or("add_eos_token", special.add_eos);
        // Tokens listed as additional special tokens are control tokens too.
        if (auto additional = root.optional("additional_special_tokens")) {
            for (size_t i = 0; i < additional->array().size(); ++i) {
                const JsonField entry = additional->at(i);
                const std::string& name =
                    entry.json().is_object() ? entry["content"].string() : entry.string();
                for (tok::AddedToken& token : parts.added_tokens)
                    if (token.content == name) token.special = true;
            }
        }
    }
}

Tokenizer build(const std::filesystem::path& tokenizer_json, const std::filesystem::path* model_dir) {
    try {
        const tok::Json json = tok::read_json_file(tokenizer_json);
        TokenizerComponents parts = components_from_tokenizer_json(JsonField(json, "tokenizer.json", ""));
        if (model_dir) read_special_tokens(*model_dir, parts);
        return Tokenizer(std::make_unique<TokenizerImpl>(std::move(parts)));
    } catch (const Error& error) {
        fail("cannot load the tokenizer of ", (model_dir ? *model_dir : tokenizer_json).string(), ": ",
             error.what());
    } catch (const tok::Json::exception& error) {
        // JsonField checks every type it reads, so this is a safety net rather than an expected path.
        fail("cannot load the tokenizer of ", (model_dir ? *model_dir : tokenizer_json).string(), ": ",
             error.what());
    }
}

}  // namespace

Tokenizer Tokenizer::from_hf_folder(const std::filesystem::path& model_dir) {
    const std::filesystem::path tokenizer_json = model_dir / "tokenizer.json";
    if (!std::filesystem::exists(tokenizer_json)) {
        if (std::filesystem::exists(model_dir / "tokenizer.model"))
            fail(model_dir.string(),
                 " has a SentencePiece tokenizer.model but no tokenizer.json; Loom reads "
                 "tokenizer.json (Hugging Face's transformers writes it with tokenizer.save_pretrained)");
        fail(model_dir.string(), " has no tokenizer.json");
    }
    return build(tokenizer_json, &model_dir);
}

Tokenizer Tokenizer::from_tokenizer_json(const std::filesystem::path& tokenizer_json) {
    return build(tokenizer_json, nullptr);
}

}  // namespace loom
