// tokenizer.json features that the reference tokenizers do not use but other models of these families do:
// Metaspace as a pre-tokenizer (newer Llama 2 / Mistral files), normalized added tokens, templates that add
// eos. Each case rewrites stories260K's tokenizer.json and compares with what the original gives.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "tokenizer/tokenizer.h"
#include "tokenizer_test_data.h"

using namespace loom;
using namespace tokenizer_test;
using Json = nlohmann::json;

namespace {

const std::string kMetaspace = "\xE2\x96\x81";  // ▁

}  // namespace

class TestTokenizerJson : public QObject {
    Q_OBJECT

    Json stories_;
    QTemporaryDir dir_;

    Tokenizer load(const Json& tokenizer_json) {
        const auto path = std::filesystem::path(dir_.path().toStdString()) / "tokenizer.json";
        std::ofstream(path, std::ios::binary | std::ios::trunc) << tokenizer_json.dump();
        return Tokenizer::from_tokenizer_json(path);
    }

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        stories_ = read_json(stories260k_dir() / "tokenizer.json");
    }

    void metaspacePreTokenizerMatchesTheNormalizers() {
        // The newer form of the same SentencePiece tokenizer: no normalizer, "▁" added by the pre-tokenizer
        // before the first word only, and a Metaspace decoder before the byte fallback.
        Json metaspace = stories_;
        metaspace["normalizer"] = nullptr;
        metaspace["pre_tokenizer"] = {{"type", "Metaspace"},
                                      {"replacement", kMetaspace},
                                      {"prepend_scheme", "first"},
                                      {"split", false}};
        metaspace["decoder"] = {
            {"type", "Sequence"},
            {"decoders",
             {{{"type", "Metaspace"}, {"replacement", kMetaspace}, {"prepend_scheme", "first"}},
              {{"type", "ByteFallback"}},
              {{"type", "Fuse"}}}}};
        const Tokenizer original = load(stories_);
        const Tokenizer newer = load(metaspace);
        // (Text that starts with a space differs, in Hugging Face too: Metaspace prepends no "▁" before one.)
        for (const char* text :
             {"Once upon a time, there was a dog.", "two  spaces ", "caf\xC3\xA9 \xE4\xB8\x96", "x"}) {
            const auto ids = newer.encode(text);
            QCOMPARE(ids, original.encode(text));
            QCOMPARE(newer.decode(ids), std::string(text));
        }
        // "first": after a special token at the start, no "▁" is prepended (the legacy normalizer does add
        // one).
        const auto after_bos = newer.encode("<s>Hi", {.add_special = false});
        QCOMPARE(after_bos.front(), 1);
        QCOMPARE(newer.piece(after_bos[1]).substr(0, kMetaspace.size()) == kMetaspace, false);
        QCOMPARE(
            original.piece(original.encode("<s>Hi", {.add_special = false})[1]).substr(0, kMetaspace.size()),
            kMetaspace);

        // The older "add_prefix_space": true means "always".
        Json legacy = metaspace;
        legacy["pre_tokenizer"].erase("prepend_scheme");
        legacy["pre_tokenizer"]["add_prefix_space"] = true;
        QCOMPARE(load(legacy).encode("<s>Hi", {.add_special = false}),
                 original.encode("<s>Hi", {.add_special = false}));
    }

    void matchesNormalizedAddedTokensAfterNormalizing() {
        // An added token marked "normalized" is found in NFC text, so a decomposed "é" finds the composed
        // one.
        Json tokens = stories_;
        tokens["normalizer"] = {{"type", "NFC"}};
        tokens["added_tokens"].push_back(
            {{"id", 512}, {"content", "caf\xC3\xA9"}, {"special", false}, {"normalized", true}});
        tokens["added_tokens"].push_back(
            {{"id", 513}, {"content", "<x>"}, {"special", false}, {"normalized", false}});
        const Tokenizer tokenizer = load(tokens);
        QCOMPARE(tokenizer.vocab_size(), 514);
        QCOMPARE(tokenizer.encode("cafe\xCC\x81<x>", {.add_special = false}),
                 (std::vector<int32_t>{512, 513}));
        QVERIFY(!tokenizer.is_special(512));
        QCOMPARE(tokenizer.decode(std::vector<int32_t>{512, 513}), std::string("caf\xC3\xA9<x>"));
    }

    void addsWhatTheTemplateSays() {
        Json template_json = stories_;
        template_json["post_processor"]["single"] =
            Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                         {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                         {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}});
        template_json["post_processor"]["special_tokens"]["</s>"] = {
            {"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}};
        const Tokenizer tokenizer = load(template_json);
        QVERIFY(tokenizer.special().add_bos && tokenizer.special().add_eos);
        const auto ids = tokenizer.encode("Hi");
        QCOMPARE(ids.front(), 1);
        QCOMPARE(ids.back(), 2);
        QCOMPARE(tokenizer.decode(ids), std::string("Hi"));
        QCOMPARE(tokenizer.decode(ids, false), std::string("<s> Hi</s>"));

        Json plain = stories_;
        plain["post_processor"] = nullptr;
        QVERIFY(!load(plain).special().add_bos);
    }
};

QTEST_APPLESS_MAIN(TestTokenizerJson)
#include "test_tokenizer_json.moc"
