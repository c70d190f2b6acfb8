// Bad tokenizer files give an Error that says what is wrong, never a crash: each case breaks one thing in
// stories260K's (valid) tokenizer.json or in the files around it.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "tokenizer/tokenizer.h"
#include "tokenizer_test_data.h"
#include "util/error.h"

using namespace loom;
using namespace tokenizer_test;
using Json = nlohmann::json;

class TestTokenizerErrors : public QObject {
    Q_OBJECT

    Json valid_;  // stories260K's tokenizer.json
    std::unique_ptr<QTemporaryDir> dir_;

    std::filesystem::path folder() const { return dir_->path().toStdString(); }

    void write(const std::string& name, const std::string& contents) {
        std::ofstream(folder() / name, std::ios::binary | std::ios::trunc) << contents;
    }

    // The message of the Error loading the folder throws, or a note that it did not throw.
    std::string load_error() {
        try {
            Tokenizer::from_hf_folder(folder());
        } catch (const Error& error) {
            return error.what();
        }
        return "(no error)";
    }

    std::string error_with(const Json& tokenizer_json) {
        write("tokenizer.json", tokenizer_json.dump());
        return load_error();
    }

    static bool contains(const std::string& message, const std::string& part) {
        return message.find(part) != std::string::npos;
    }

  private slots:
    void init() {
        valid_ = read_json(stories260k_dir() / "tokenizer.json");
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
    }

    void loadsTheValidFileItStartsFrom() {
        write("tokenizer.json", valid_.dump());
        QCOMPARE(Tokenizer::from_hf_folder(folder()).vocab_size(), 512);
    }

    void reportsAMissingFile() {
        QVERIFY(contains(load_error(), "has no tokenizer.json"));
        write("tokenizer.model", "not read");
        QVERIFY(contains(load_error(), "SentencePiece tokenizer.model but no tokenizer.json"));
    }

    void reportsInvalidJson() {
        write("tokenizer.json", "{\"model\": {\"type\": \"BPE\",");
        const std::string message = load_error();
        QVERIFY2(contains(message, "tokenizer.json is not valid JSON"), message.c_str());
        write("tokenizer.json", "");
        QVERIFY(contains(load_error(), "is not valid JSON"));
        write("tokenizer.json", "[1, 2]");
        QVERIFY(contains(load_error(), "the top level must be an object"));
    }

    void survivesEveryTruncation() {
        // Whatever prefix of a valid file is read, the answer is an Error, not a crash or a hang.
        const std::string text = valid_.dump();
        for (size_t length = 0; length < text.size(); length += 97) {
            write("tokenizer.json", text.substr(0, length));
            QVERIFY(contains(load_error(), "not valid JSON"));
        }
    }

    void namesMissingSections() {
        Json broken = valid_;
        broken.erase("model");
        QVERIFY(contains(error_with(broken), "tokenizer.json: model is missing"));
        broken = valid_;
        broken["model"].erase("vocab");
        QVERIFY(contains(error_with(broken), "model.vocab is missing"));
        broken = valid_;
        broken["model"].erase("merges");
        QVERIFY(contains(error_with(broken), "model.merges is missing"));
    }

    void namesUnsupportedModelTypes() {
        for (const char* type : {"WordPiece", "Unigram", "WordLevel"}) {
            Json other = valid_;
            other["model"]["type"] = type;
            const std::string message = error_with(other);
            QVERIFY2(contains(message, std::string("model.type is \"") + type + "\"") &&
                         contains(message, "not supported"),
                     message.c_str());
        }
    }

    void namesUnsupportedStages() {
        Json broken = valid_;
        broken["normalizer"] = {{"type", "Lowercase"}};
        QVERIFY(contains(error_with(broken),
                         "normalizer.type is \"Lowercase\": this normalizer is not supported"));
        broken = valid_;
        broken["pre_tokenizer"] = {{"type", "Whitespace"}};
        QVERIFY(contains(error_with(broken),
                         "pre_tokenizer.type is \"Whitespace\": this pre-tokenizer is not supported"));
        broken = valid_;
        broken["decoder"]["decoders"][0] = {{"type", "WordPiece"}, {"prefix", "##"}};
        QVERIFY(contains(error_with(broken),
                         "decoder.decoders[0].type is \"WordPiece\": this decoder is not supported"));
        broken = valid_;
        broken["post_processor"] = {{"type", "BertProcessing"}};
        QVERIFY(contains(error_with(broken), "this post-processor is not supported"));
        broken = valid_;
        broken["model"]["dropout"] = 0.1;
        QVERIFY(contains(error_with(broken), "BPE dropout"));
    }

    void namesMergesOfUnknownTokens() {
        Json broken = valid_;
        broken["model"]["merges"].push_back({"\xE2\x96\x81", "zzz"});
        const std::string message = error_with(broken);
        QVERIFY2(contains(message, "model.merges is inconsistent with model.vocab") &&
                     contains(message, "\"zzz\""),
                 message.c_str());

        broken = valid_;
        broken["model"]["merges"][3] = 42;
        QVERIFY(contains(error_with(broken),
                         "model.merges[3] must be a string \"left right\" or a pair of strings"));
        broken["model"]["merges"][3] = "three parts here";
        QVERIFY(contains(error_with(broken), "expected two pieces separated by one space"));
    }

    void namesBadVocabularies() {
        Json broken = valid_;
        broken["model"]["vocab"]["new piece"] = -5;
        QVERIFY(contains(error_with(broken), "is not a valid token id: -5"));
        broken = valid_;
        broken["model"]["vocab"]["new piece"] = 2000000000;
        QVERIFY(contains(error_with(broken),
                         "token id 2000000000 of \"new piece\" is outside the vocabulary's 516 entries"));
        broken = valid_;
        broken["model"]["vocab"]["new piece"] = "7";
        QVERIFY(contains(error_with(broken), "must be an integer, not string"));
        broken = valid_;
        broken["model"]["vocab"]["duplicate"] = 300;
        QVERIFY(contains(error_with(broken), "token id 300 is given to both"));
        broken = valid_;
        broken["model"]["unk_token"] = "<nothing>";
        QVERIFY(contains(error_with(broken), "model.unk_token \"<nothing>\" is not in model.vocab"));
        broken = valid_;
        broken["added_tokens"][0]["content"] = "";
        QVERIFY(contains(error_with(broken), "added_tokens[0].content must not be empty"));
    }

    void namesBadPatterns() {
        Json broken = valid_;
        broken["pre_tokenizer"] = {
            {"type", "Split"}, {"pattern", {{"Regex", "(\\p{L}+"}}}, {"behavior", "Isolated"}};
        const std::string message = error_with(broken);
        QVERIFY2(contains(message, "pre_tokenizer.pattern.Regex invalid regex"), message.c_str());
        broken["pre_tokenizer"]["behavior"] = "Sideways";
        broken["pre_tokenizer"]["pattern"] = {{"String", " "}};
        QVERIFY(contains(error_with(broken), "pre_tokenizer.behavior is \"Sideways\""));
        broken["pre_tokenizer"]["behavior"] = "Isolated";
        broken["pre_tokenizer"]["pattern"] = {{"Glob", "*"}};
        QVERIFY(contains(error_with(broken), "must hold a \"Regex\" or a \"String\""));
    }

    void namesBadSpecialTokenFiles() {
        write("tokenizer.json", valid_.dump());
        write("tokenizer_config.json", R"({"bos_token": "<start>"})");
        QVERIFY(
            contains(load_error(),
                     "tokenizer_config.json: bos_token names \"<start>\", which is not in the vocabulary"));
        write("tokenizer_config.json", R"({"add_bos_token": "yes"})");
        QVERIFY(contains(load_error(), "tokenizer_config.json: add_bos_token must be true or false"));
        write("tokenizer_config.json", "{}");
        write("generation_config.json", R"({"eos_token_id": [2, 9999]})");
        QVERIFY(contains(load_error(), "end-of-generation token id 9999 is not in the vocabulary"));
        write("generation_config.json", R"({"eos_token_id": "2"})");
        QVERIFY(contains(load_error(), "generation_config.json: eos_token_id must be an integer"));
        write("generation_config.json", "[]");
        QVERIFY(contains(load_error(), "generation_config.json: the top level must be a JSON object"));
    }

    void collectsEveryEndOfGenerationId() {
        write("tokenizer.json", valid_.dump());
        write("tokenizer_config.json", R"({"eos_token": {"content": "</s>"}, "add_bos_token": false})");
        write("generation_config.json", R"({"eos_token_id": [2, 5]})");
        write("config.json", R"({"eos_token_id": 7, "bos_token_id": 1})");
        const Tokenizer tokenizer = Tokenizer::from_hf_folder(folder());
        QCOMPARE(tokenizer.special().end_of_generation, (std::vector<int32_t>{2, 5, 7}));
        QVERIFY(!tokenizer.special().add_bos);
        QCOMPARE(tokenizer.encode("Hi").front(), tokenizer.encode("Hi", {.add_special = false}).front());
    }

    void refusesIdsOutsideTheVocabulary() {
        write("tokenizer.json", valid_.dump());
        const Tokenizer tokenizer = Tokenizer::from_hf_folder(folder());
        const std::vector<int32_t> bad{1, 512};
        QVERIFY_THROWS_EXCEPTION(Error, tokenizer.decode(bad));
        QVERIFY_THROWS_EXCEPTION(Error, tokenizer.piece(-1));
        StreamDecoder stream(tokenizer);
        QVERIFY_THROWS_EXCEPTION(Error, stream.push(100000));
    }
};

QTEST_APPLESS_MAIN(TestTokenizerErrors)
#include "test_tokenizer_errors.moc"
