// Loom's tokenizer against the reference implementation: for every text of tests/data/tokenizers/corpus.json,
// the ids and texts that @lenml/tokenizers (a port of Hugging Face tokenizers) gives with the Llama 2, Llama
// 3, Qwen3 and stories260K tokenizers, as make_golden.mjs wrote them to golden.json.
#include <QtTest>

#include <map>
#include <memory>
#include <random>
#include <thread>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer_test_data.h"

using namespace loom;
using namespace tokenizer_test;

namespace {

std::string describe(const std::vector<int32_t>& ids) {
    std::string text = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) text += ',';
        text += std::to_string(ids[i]);
    }
    text += ']';
    return text;
}

}  // namespace

class TestTokenizerReference : public QObject {
    Q_OBJECT

    nlohmann::json golden_;
    std::map<std::string, std::unique_ptr<Tokenizer>> tokenizers_;

    const Tokenizer& tokenizer(const QString& name) { return *tokenizers_.at(name.toStdString()); }
    const nlohmann::json& cases(const QString& name) {
        return golden_["tokenizers"][name.toStdString()]["cases"];
    }
    std::string text(size_t line) { return from_hex(golden_["lines"][line]["hex"].get<std::string>()); }
    std::string line_name(size_t line) { return golden_["lines"][line]["name"].get<std::string>(); }

    void add_tokenizer_rows() {
        QTest::addColumn<QString>("name");
        for (const auto& [name, entry] : golden_["tokenizers"].items())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }

  private slots:
    void initTestCase() {
        golden_ = read_json(data_dir() / "golden.json");
        const std::string missing = missing_reference_files(golden_);
        QVERIFY2(missing.empty(), missing.c_str());
        for (const auto& [name, entry] : golden_["tokenizers"].items())
            tokenizers_[name] =
                std::make_unique<Tokenizer>(Tokenizer::from_hf_folder(folder_of(golden_, name)));
        QCOMPARE(golden_["lines"].size(), cases("llama3").size());
    }

    void readsTheModelsKinds() {
        QCOMPARE(tokenizer("llama2").kind(), std::string("SentencePiece BPE"));
        QCOMPARE(tokenizer("stories260K").kind(), std::string("SentencePiece BPE"));
        QCOMPARE(tokenizer("llama3").kind(), std::string("byte-level BPE"));
        QCOMPARE(tokenizer("qwen3").kind(), std::string("byte-level BPE"));
        QCOMPARE(tokenizer("llama2").vocab_size(), 32000);
        QCOMPARE(tokenizer("stories260K").vocab_size(), 512);
        QCOMPARE(tokenizer("llama3").vocab_size(), 128256);
        QCOMPARE(tokenizer("qwen3").vocab_size(), 151669);
    }

    void encodesLikeTheReference_data() { add_tokenizer_rows(); }
    void encodesLikeTheReference() {
        QFETCH(QString, name);
        for (size_t line = 0; line < cases(name).size(); ++line) {
            const auto expected = ids_of(cases(name)[line]["ids"]);
            const auto got = tokenizer(name).encode(text(line), {.add_special = false});
            QVERIFY2(
                got == expected,
                (line_name(line) + ": got " + describe(got) + ", expected " + describe(expected)).c_str());
        }
    }

    void addsSpecialTokensLikeTheReference_data() { add_tokenizer_rows(); }
    void addsSpecialTokensLikeTheReference() {
        QFETCH(QString, name);
        for (size_t line = 0; line < cases(name).size(); ++line) {
            const auto expected = ids_of(cases(name)[line]["with_special"]);
            const auto got = tokenizer(name).encode(text(line));
            QVERIFY2(
                got == expected,
                (line_name(line) + ": got " + describe(got) + ", expected " + describe(expected)).c_str());
        }
    }

    void decodesLikeTheReference_data() { add_tokenizer_rows(); }
    void decodesLikeTheReference() {
        QFETCH(QString, name);
        for (size_t line = 0; line < cases(name).size(); ++line) {
            const auto& expected = cases(name)[line];
            // decode(encode(x)): the round trip gives what the reference's decode gives.
            const auto ids = tokenizer(name).encode(text(line), {.add_special = false});
            QCOMPARE(tokenizer(name).decode(ids, false), expected["decoded"].get<std::string>());
            QCOMPARE(tokenizer(name).decode(ids, true), expected["decoded_skip_special"].get<std::string>());
            const auto with_special = tokenizer(name).encode(text(line));
            QCOMPARE(tokenizer(name).decode(with_special, true),
                     expected["decoded_skip_special"].get<std::string>());
        }
    }

    void storiesRoundTripsItsText() {
        // stories260K's vocabulary is 512 pieces; anything else is spelled in bytes and must still come back.
        const Tokenizer& stories = tokenizer("stories260K");
        for (const char* story :
             {"Once upon a time, there was a little girl named Lily.",
              "She liked to play with her red ball in the sun.", "Tom said, \"Thank you, Mom!\""}) {
            const auto ids = stories.encode(story);
            QCOMPARE(ids.front(), 1);  // <s>
            QCOMPARE(stories.decode(ids), std::string(story));
        }
    }

    void streamsExactlyWhatDecodeGives_data() { add_tokenizer_rows(); }
    void streamsExactlyWhatDecodeGives() {
        QFETCH(QString, name);
        const Tokenizer& tok = tokenizer(name);
        auto check = [&](const std::vector<int32_t>& ids, bool skip_special, const std::string& what) {
            StreamDecoder stream(tok, skip_special);
            std::string streamed;
            for (int32_t id : ids) {
                const std::string piece = stream.push(id);
                // Valid UTF-8 piece by piece: no piece starts or ends inside a character.
                QVERIFY2(tok::is_valid_utf8(piece), (what + ": a piece is not whole UTF-8").c_str());
                streamed += piece;
            }
            streamed += stream.flush();
            QVERIFY2(streamed == tok.decode(ids, skip_special),
                     (what + ": stream and decode() differ").c_str());
        };
        for (size_t line = 0; line < cases(name).size(); ++line) {
            const auto ids = tok.encode(text(line));
            check(ids, true, line_name(line));
            check(ids, false, line_name(line));
        }
        // Ids in any order, as a sampling model may produce them: byte tokens that do not form characters.
        std::mt19937 random(1234);
        std::uniform_int_distribution<int32_t> any_id(0, tok.vocab_size() - 1);
        for (int round = 0; round < 20; ++round) {
            std::vector<int32_t> ids(200);
            for (int32_t& id : ids)
                id = any_id(random);
            check(ids, true, "random ids");
            check(ids, false, "random ids");
        }
    }

    void readsSpecialTokensFromTheConfigFiles() {
        const SpecialTokens& llama2 = tokenizer("llama2").special();
        QCOMPARE(llama2.bos, std::optional<int32_t>(1));
        QCOMPARE(llama2.eos, std::optional<int32_t>(2));
        QCOMPARE(llama2.unk, std::optional<int32_t>(0));
        QVERIFY(llama2.add_bos);
        QVERIFY(!llama2.add_eos);
        QCOMPARE(llama2.end_of_generation, std::vector<int32_t>{2});

        const SpecialTokens& qwen3 = tokenizer("qwen3").special();
        QCOMPARE(qwen3.eos, tokenizer("qwen3").find_token("<|im_end|>"));
        QCOMPARE(qwen3.pad, tokenizer("qwen3").find_token("<|endoftext|>"));
        QVERIFY(!qwen3.add_bos);
        QVERIFY(tokenizer("qwen3").is_special(151644));  // <|im_start|>
        QVERIFY(
            !tokenizer("qwen3").is_special(151667));  // <think> is an added token, but not a control token

        const SpecialTokens& llama3 = tokenizer("llama3").special();
        QCOMPARE(llama3.bos, std::optional<int32_t>(128000));
        QCOMPARE(llama3.eos, std::optional<int32_t>(128001));
        QCOMPARE(tokenizer("llama3").piece(128009), std::string("<|eot_id|>"));
        QCOMPARE(tokenizer("llama3").find_token("Ġthe"), std::optional<int32_t>(279));
    }

    void doesNotParseSpecialTokensWhenAskedNotTo() {
        const Tokenizer& qwen = tokenizer("qwen3");
        const std::string chat = "<|im_start|>user\nHi<|im_end|><think>";
        const auto parsed = qwen.encode(chat);
        QCOMPARE(parsed.front(), 151644);
        const auto literal = qwen.encode(chat, {.parse_special = false});
        for (int32_t id : literal)
            QVERIFY(id != 151644 && id != 151645);
        QCOMPARE(literal.back(), 151667);  // <think> is not special: still matched as an added token
        QCOMPARE(qwen.decode(literal), chat);
    }

    void showsTokensOneByOne() {
        QCOMPARE(tokenizer("llama3").token_text(279), std::string(" the"));
        QCOMPARE(tokenizer("llama2").token_text(*tokenizer("llama2").find_token("\xE2\x96\x81the")),
                 std::string(" the"));
        QCOMPARE(tokenizer("llama2").token_text(*tokenizer("llama2").find_token("<0x0A>")),
                 std::string("\n"));
        QCOMPARE(tokenizer("qwen3").token_text(151645), std::string("<|im_end|>"));
    }

    void handlesLongRuns_data() { add_tokenizer_rows(); }
    void handlesLongRuns() {
        // Long runs stress the regex (backtracking in \s+(?!\S)) and the merge queue.
        QFETCH(QString, name);
        const Tokenizer& tok = tokenizer(name);
        for (const std::string& text : {std::string(100000, ' '), std::string(50000, '7'),
                                        std::string(50000, 'a'), std::string(20000, '\n'), [] {
                                            std::string emoji;
                                            for (int i = 0; i < 5000; ++i)
                                                emoji += "\xF0\x9F\x98\x80";  // 😀
                                            return emoji;
                                        }()}) {
            const auto ids = tok.encode(text, {.add_special = false});
            QVERIFY(!ids.empty());
            QCOMPARE(tok.decode(ids).size(), text.size());
            QVERIFY(tok.decode(ids) == text);
        }
    }

    void encodesFromSeveralThreadsAtOnce() {
        const Tokenizer& llama3 = tokenizer("llama3");
        std::vector<std::string> texts;
        std::vector<std::vector<int32_t>> expected;
        for (size_t line = 0; line < cases("llama3").size(); ++line) {
            texts.push_back(text(line));
            expected.push_back(llama3.encode(texts.back()));
        }
        std::vector<int> mismatches(4, 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int round = 0; round < 3; ++round)
                    for (size_t line = 0; line < expected.size(); ++line)
                        if (llama3.encode(texts[line]) != expected[line]) ++mismatches[t];
            });
        for (auto& thread : threads)
            thread.join();
        QCOMPARE(mismatches, std::vector<int>(4, 0));
    }
};

QTEST_APPLESS_MAIN(TestTokenizerReference)
#include "test_tokenizer_reference.moc"
