// Tokenizer::from_parts, the entry point of the GGUF loader, must give the same tokenizer as the model's
// tokenizer.json. stories260K's parts are the real metadata of tests/data/models/stories260K.gguf; for Llama
// 3 and Qwen3 they are made from tokenizer.json the way llama.cpp's converter writes them.
#include <QtTest>

#include "tokenizer/tokenizer.h"
#include "tokenizer_test_data.h"
#include "util/error.h"

using namespace loom;
using namespace tokenizer_test;

namespace {

// A byte-level tokenizer.json as GGUF stores it: one list of pieces by id (added tokens included, typed as
// control or user-defined) and merges as "left right".
TokenizerParts byte_level_parts(const std::filesystem::path& tokenizer_json, const std::string& pre) {
    const nlohmann::json json = read_json(tokenizer_json);
    TokenizerParts parts;
    parts.model = "gpt2";
    parts.pre = pre;
    size_t size = 0;
    for (const auto& [piece, id] : json["model"]["vocab"].items())
        size = std::max(size, id.get<size_t>() + 1);
    for (const auto& token : json["added_tokens"])
        size = std::max(size, token["id"].get<size_t>() + 1);
    parts.tokens.resize(size);
    parts.token_types.assign(size, 1);
    for (const auto& [piece, id] : json["model"]["vocab"].items())
        parts.tokens[id.get<size_t>()] = piece;
    for (const auto& token : json["added_tokens"]) {
        parts.tokens[token["id"].get<size_t>()] = token["content"].get<std::string>();
        parts.token_types[token["id"].get<size_t>()] = token["special"].get<bool>() ? 3 : 4;
    }
    for (const auto& merge : json["model"]["merges"])
        parts.merges.push_back(merge.is_string()
                                   ? merge.get<std::string>()
                                   : merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    return parts;
}

TokenizerParts stories260k_gguf_parts() {
    const nlohmann::json metadata = read_json(data_dir() / "stories260K_gguf_tokenizer.json");
    TokenizerParts parts;
    parts.model = metadata["tokenizer.ggml.model"].get<std::string>();
    parts.tokens = metadata["tokenizer.ggml.tokens"].get<std::vector<std::string>>();
    parts.scores = metadata["tokenizer.ggml.scores"].get<std::vector<float>>();
    parts.token_types = metadata["tokenizer.ggml.token_type"].get<std::vector<int32_t>>();
    parts.special.bos = metadata["tokenizer.ggml.bos_token_id"].get<int32_t>();
    parts.special.eos = metadata["tokenizer.ggml.eos_token_id"].get<int32_t>();
    parts.special.unk = metadata["tokenizer.ggml.unknown_token_id"].get<int32_t>();
    parts.special.add_bos =
        true;  // llama.cpp's default for "llama" when tokenizer.ggml.add_bos_token is absent
    return parts;
}

std::string error_of(const TokenizerParts& parts) {
    try {
        Tokenizer::from_parts(parts);
    } catch (const Error& error) {
        return error.what();
    }
    return "no error";
}

}  // namespace

class TestTokenizerFromParts : public QObject {
    Q_OBJECT

    nlohmann::json golden_;

    // Every corpus text encodes to the reference's ids and decodes to the reference's text.
    void check_against_golden(const Tokenizer& tokenizer, const std::string& name, bool with_special) {
        const auto& cases = golden_["tokenizers"][name]["cases"];
        for (size_t line = 0; line < cases.size(); ++line) {
            const std::string text = from_hex(golden_["lines"][line]["hex"].get<std::string>());
            const std::string what = name + ", " + golden_["lines"][line]["name"].get<std::string>();
            const auto ids = tokenizer.encode(text, {.add_special = false});
            QVERIFY2(ids == ids_of(cases[line]["ids"]), what.c_str());
            if (with_special)
                QVERIFY2(tokenizer.encode(text) == ids_of(cases[line]["with_special"]), what.c_str());
            QVERIFY2(tokenizer.decode(ids, false) == cases[line]["decoded"].get<std::string>(), what.c_str());
        }
    }

  private slots:
    void initTestCase() {
        golden_ = read_json(data_dir() / "golden.json");
        const std::string missing = missing_reference_files(golden_);
        QVERIFY2(missing.empty(), missing.c_str());
    }

    void buildsStoriesFromItsGgufMetadata() {
        const Tokenizer stories = Tokenizer::from_parts(stories260k_gguf_parts());
        QCOMPARE(stories.kind(), std::string("SentencePiece BPE"));
        QCOMPARE(stories.vocab_size(), 512);
        QVERIFY(stories.is_special(1));
        check_against_golden(stories, "stories260K", true);
    }

    void buildsLlama3FromGgufStyleParts() {
        const Tokenizer llama3 = Tokenizer::from_parts(
            byte_level_parts(folder_of(golden_, "llama3") / "tokenizer.json", "llama-bpe"));
        QCOMPARE(llama3.kind(), std::string("byte-level BPE"));
        QCOMPARE(llama3.vocab_size(), 128256);
        check_against_golden(llama3, "llama3", false);
    }

    void buildsQwen3FromGgufStyleParts() {
        const Tokenizer qwen3 =
            Tokenizer::from_parts(byte_level_parts(folder_of(golden_, "qwen3") / "tokenizer.json", "qwen2"));
        QVERIFY(qwen3.is_special(151645));
        QVERIFY(!qwen3.is_special(151667));  // <think>: user-defined
        check_against_golden(qwen3, "qwen3", false);
    }

    void namesWhatItDoesNotSupport() {
        TokenizerParts parts = stories260k_gguf_parts();
        parts.model = "bert";
        QVERIFY(error_of(parts).find("tokenizer.ggml.model \"bert\" is not supported") != std::string::npos);

        parts = byte_level_parts(folder_of(golden_, "qwen3") / "tokenizer.json", "deepseek-coder");
        const std::string unsupported_pre = error_of(parts);
        QVERIFY2(unsupported_pre.find("\"deepseek-coder\" is not supported") != std::string::npos &&
                     unsupported_pre.find("\"qwen2\"") != std::string::npos,
                 unsupported_pre.c_str());
    }

    void rejectsPartsThatDoNotFit() {
        TokenizerParts parts = stories260k_gguf_parts();
        parts.scores.pop_back();
        QVERIFY(error_of(parts).find("one score per token") != std::string::npos);

        parts = stories260k_gguf_parts();
        parts.token_types.resize(3);
        QVERIFY(error_of(parts).find("token_type has 3 entries for 512 tokens") != std::string::npos);

        parts = stories260k_gguf_parts();
        parts.special.bos = 512;
        QVERIFY(error_of(parts).find("bos token id 512 is not in the vocabulary") != std::string::npos);

        parts = stories260k_gguf_parts();
        parts.tokens.clear();
        QVERIFY(error_of(parts).find("is empty") != std::string::npos);

        parts = byte_level_parts(folder_of(golden_, "qwen3") / "tokenizer.json", "qwen2");
        parts.merges.push_back("Ġhello nonexistent_piece");
        QVERIFY(error_of(parts).find("\"nonexistent_piece\", which is not in the vocabulary") !=
                std::string::npos);

        parts.merges.back() = "no_space_here";
        QVERIFY(error_of(parts).find("expected two pieces separated by one space") != std::string::npos);

        parts.merges.clear();
        QVERIFY(error_of(parts).find("needs its merges") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestTokenizerFromParts)
#include "test_tokenizer_from_parts.moc"
