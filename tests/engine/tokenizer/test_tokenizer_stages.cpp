// The stages of the tokenizer one by one, on small hand-made inputs whose answers can be worked out by hand:
// UTF-8 repair, GPT-2's byte alphabet, splitting rules, BPE merging, added-token matching and decoders.
#include <QtTest>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

using namespace loom;
using namespace loom::tok;

namespace {

const std::string kFFFD = "\xEF\xBF\xBD";
const std::string kMetaspace = "\xE2\x96\x81";  // ▁

std::vector<std::string> texts(const std::vector<Word>& words) {
    std::vector<std::string> out;
    for (const Word& word : words)
        out.push_back(word.text);
    return out;
}

std::vector<std::string> split(const PreTokenizer& pre_tokenizer, const std::string& text,
                               bool at_text_start = true) {
    std::vector<Word> words{{text, at_text_start}};
    pre_tokenizer.pre_tokenize(words);
    return texts(words);
}

// A model over single letters and the pieces listed, with merges in the order given.
BpeModel letters_model(const std::vector<std::string>& pieces,
                       const std::vector<std::pair<std::string, std::string>>& merges,
                       BpeOptions options = {}) {
    PieceIds vocab;
    for (const std::string& piece : pieces)
        vocab.emplace(piece, static_cast<int32_t>(vocab.size()));
    return BpeModel(vocab, merges_from_pairs(vocab, merges), options);
}

std::vector<int32_t> encode(const BpeModel& model, std::string_view word) {
    std::vector<int32_t> ids;
    model.encode_word(word, ids);
    return ids;
}

std::string decode(const Decoder& decoder, std::vector<std::string> pieces, bool starts_sequence = true) {
    std::vector<bool> literal(pieces.size(), false);
    return decoder.decode(std::move(pieces), std::move(literal), starts_sequence);
}

}  // namespace

class TestTokenizerStages : public QObject {
    Q_OBJECT
  private slots:
    void repairsUtf8AsBrowsersDo() {
        // Each maximal subpart of an invalid sequence is one U+FFFD (WHATWG Encoding, Unicode 15 §3.9).
        QCOMPARE(to_valid_utf8("abc"), std::string("abc"));
        QCOMPARE(to_valid_utf8("a\xFF"
                               "b"),
                 "a" + kFFFD + "b");
        QCOMPARE(to_valid_utf8("\xE2\x82"
                               "z"),
                 kFFFD + "z");                                           // truncated 3-byte sequence
        QCOMPARE(to_valid_utf8("\xC0\xAF"), kFFFD + kFFFD);              // overlong: C0 never starts one
        QCOMPARE(to_valid_utf8("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD);  // surrogate: ED A0 is invalid
        QCOMPARE(to_valid_utf8("\xF4\x90\x80\x80"), kFFFD + kFFFD + kFFFD + kFFFD);  // above U+10FFFF
        QCOMPARE(to_valid_utf8("\xF0\x9F\x98"), kFFFD);                              // cut off at the end
        QVERIFY(is_valid_utf8("h\xC3\xA9llo \xF0\x9F\x98\x80"));
        QVERIFY(!is_valid_utf8("\xF0\x9F\x98"));

        size_t tail = 99;
        QCOMPARE(to_valid_utf8("ab\xF0\x9F\x98", &tail), std::string("ab"));
        QCOMPARE(tail, size_t{3});
        QCOMPARE(to_valid_utf8("\xFF\xE2", &tail),
                 kFFFD);  // FF is wrong whatever follows; E2 may still complete
        QCOMPARE(tail, size_t{1});
        QCOMPARE(to_valid_utf8("ok", &tail), std::string("ok"));
        QCOMPARE(tail, size_t{0});
    }

    void mapsEveryByteToOneCharacterAndBack() {
        QCOMPARE(to_byte_level(" "), std::string("\xC4\xA0"));   // Ġ
        QCOMPARE(to_byte_level("\n"), std::string("\xC4\x8A"));  // Ċ
        QCOMPARE(to_byte_level("a~"), std::string("a~"));
        std::string all_bytes;
        for (int b = 0; b < 256; ++b)
            all_bytes += static_cast<char>(b);
        const std::string mapped = to_byte_level(all_bytes);
        std::string back;
        size_t characters = 0;
        for (size_t pos = 0; pos < mapped.size(); ++characters)
            QVERIFY(append_byte_of(next_code_point(mapped, pos), back));
        QCOMPARE(characters, size_t{256});
        QVERIFY(back == all_bytes);
        std::string ignored;
        QVERIFY(!append_byte_of(U'\u4E16', ignored));  // 世 stands for no byte
    }

    void splitsWithEachBehavior() {
        // The examples of Hugging Face's SplitDelimiterBehavior documentation.
        using V = std::vector<std::string>;
        auto split_dash = [](SplitBehavior behavior, bool invert = false) {
            return split(SplitPreTokenizer(Pattern::literal("-"), behavior, invert), "the-final--countdown");
        };
        QCOMPARE(split_dash(SplitBehavior::Removed), (V{"the", "final", "countdown"}));
        QCOMPARE(split_dash(SplitBehavior::Isolated), (V{"the", "-", "final", "-", "-", "countdown"}));
        QCOMPARE(split_dash(SplitBehavior::MergedWithPrevious), (V{"the-", "final-", "-", "countdown"}));
        QCOMPARE(split_dash(SplitBehavior::MergedWithNext), (V{"the", "-final", "-", "-countdown"}));
        QCOMPARE(split_dash(SplitBehavior::Contiguous), (V{"the", "-", "final", "--", "countdown"}));
        QCOMPARE(split_dash(SplitBehavior::Removed, true), (V{"-", "-", "-"}));
    }

    void splitsWithUnicodeRegexes() {
        using V = std::vector<std::string>;
        const SplitPreTokenizer llama3(Pattern::regex(kLlama3SplitPattern), SplitBehavior::Isolated, false);
        QCOMPARE(split(llama3, "I'M 12345 héllo!!  \n\n x"),
                 (V{"I", "'M", " ", "123", "45", " héllo", "!!", "  \n\n", " x"}));
        const SplitPreTokenizer qwen2(Pattern::regex(kQwen2SplitPattern), SplitBehavior::Isolated, false);
        QCOMPARE(split(qwen2, "x 2024"), (V{"x", " ", "2", "0", "2", "4"}));
        // \s+(?!\S): a run of spaces leaves its last space to the word after it.
        const SplitPreTokenizer gpt2(Pattern::regex(kGpt2SplitPattern), SplitBehavior::Isolated, false);
        QCOMPARE(split(gpt2, "a   b"), (V{"a", "  ", " b"}));
        QVERIFY_THROWS_EXCEPTION(Error, Pattern::regex("(unclosed"));
    }

    void splitsDigits() {
        using V = std::vector<std::string>;
        QCOMPARE(split(DigitsPreTokenizer(true), "abc123de4"), (V{"abc", "1", "2", "3", "de", "4"}));
        QCOMPARE(split(DigitsPreTokenizer(false), "abc123de4"), (V{"abc", "123", "de", "4"}));
        QCOMPARE(split(DigitsPreTokenizer(false), "x\xD9\xA3\xD9\xA4y"),
                 (V{"x", "\xD9\xA3\xD9\xA4", "y"}));  // ٣٤
    }

    void replacesSpacesWithMetaspace() {
        using V = std::vector<std::string>;
        const MetaspacePreTokenizer always(kMetaspace, PrependScheme::Always, true);
        QCOMPARE(split(always, "Hey  friend"), (V{kMetaspace + "Hey", kMetaspace, kMetaspace + "friend"}));
        const MetaspacePreTokenizer first(kMetaspace, PrependScheme::First, false);
        QCOMPARE(split(first, "Hey friend"), (V{kMetaspace + "Hey" + kMetaspace + "friend"}));
        QCOMPARE(split(first, "after a special token", false),
                 (V{"after" + kMetaspace + "a" + kMetaspace + "special" + kMetaspace + "token"}));
        QCOMPARE(split(ByteLevelPreTokenizer(true, true), "Hi you"), (V{"\xC4\xA0Hi", "\xC4\xA0you"}));
    }

    void normalizes() {
        std::string text = "cafe\xCC\x81";  // e + combining acute
        UnicodeNormalizer(UnicodeForm::NFC).normalize(text);
        QCOMPARE(text, std::string("caf\xC3\xA9"));
        UnicodeNormalizer(UnicodeForm::NFD).normalize(text);
        QCOMPARE(text, std::string("cafe\xCC\x81"));
        text = "\xEF\xAC\x81";  // ﬁ ligature
        UnicodeNormalizer(UnicodeForm::NFKC).normalize(text);
        QCOMPARE(text, std::string("fi"));

        std::vector<std::unique_ptr<Normalizer>> steps;
        steps.push_back(std::make_unique<PrependNormalizer>(kMetaspace));
        steps.push_back(std::make_unique<ReplaceNormalizer>(Pattern::literal(" "), kMetaspace));
        const NormalizerSequence llama2(std::move(steps));
        text = "a b";
        llama2.normalize(text);
        QCOMPARE(text, kMetaspace + "a" + kMetaspace + "b");
        text.clear();
        llama2.normalize(text);
        QCOMPARE(text, std::string());  // nothing is prepended to nothing

        text = "x1y22z";
        ReplaceNormalizer(Pattern::regex("\\d+"), "#").normalize(text);
        QCOMPARE(text, std::string("x#y#z"));
    }

    void mergesByRankThenLeftmost() {
        using V = std::vector<int32_t>;
        // ids: a0 b1 c2 ab3 bc4 abc5
        const BpeModel model =
            letters_model({"a", "b", "c", "ab", "bc", "abc"}, {{"b", "c"}, {"a", "b"}, {"a", "bc"}});
        QCOMPARE(encode(model, "abc"), (V{5}));      // b+c first (rank 0), then a+bc
        QCOMPARE(encode(model, "abab"), (V{3, 3}));  // equal ranks: left pair first
        QCOMPARE(encode(model, "cab"), (V{2, 3}));
        QCOMPARE(encode(model, "a"), (V{0}));
    }

    void mergesLongWordsWithoutRescanning() {
        // 2^16 letters that merge pairwise into ever longer pieces: 16 rounds of merges, 65535 merges in all.
        // A quadratic rescan would take minutes; the queue takes milliseconds.
        std::vector<std::string> pieces{"a"};
        std::vector<std::pair<std::string, std::string>> merges;
        for (int level = 0; level < 16; ++level) {
            merges.emplace_back(pieces.back(), pieces.back());
            pieces.push_back(pieces.back() + pieces.back());
        }
        const BpeModel model = letters_model(pieces, merges);
        QCOMPARE(encode(model, pieces.back()), (std::vector<int32_t>{16}));
        QCOMPARE(encode(model, std::string(65536 + 3, 'a')), (std::vector<int32_t>{16, 1, 0}));
    }

    void fallsBackToBytesOrUnknown() {
        using V = std::vector<int32_t>;
        PieceIds vocab{{"<unk>", 0}, {"a", 1}, {"<0xC3>", 2}, {"<0xA9>", 3}};
        const BpeModel bytes(vocab, {}, {.unk = 0, .byte_fallback = true});
        QCOMPARE(encode(bytes,
                        "a\xC3\xA9"
                        "a"),
                 (V{1, 2, 3, 1}));                        // é as its two bytes
        QCOMPARE(encode(bytes, "\xE4\xB8\x96"), (V{0}));  // 世: a byte is missing, so unknown
        const BpeModel fused(vocab, {}, {.unk = 0, .fuse_unk = true});
        QCOMPARE(encode(fused, "a??a?"), (V{1, 0, 1, 0}));
        const BpeModel unfused(vocab, {}, {.unk = 0});
        QCOMPARE(encode(unfused, "a??"), (V{1, 0, 0}));
        const BpeModel strict(vocab, {}, {});
        QVERIFY_THROWS_EXCEPTION(Error, encode(strict, "?"));
    }

    void takesWholeWordsWhenIgnoringMerges() {
        // "abc" is in the vocabulary but no merge leads to it.
        const BpeModel merging = letters_model({"a", "b", "c", "abc"}, {});
        QCOMPARE(encode(merging, "abc"), (std::vector<int32_t>{0, 1, 2}));
        const BpeModel whole = letters_model({"a", "b", "c", "abc"}, {}, {.ignore_merges = true});
        QCOMPARE(encode(whole, "abc"), (std::vector<int32_t>{3}));
    }

    void derivesMergesFromScores() {
        // SentencePiece: the higher the score of the result, the earlier the merge.
        const std::vector<std::string> pieces{"<unk>", "a", "b", "c", "bc", "ab", "abc"};
        const std::vector<float> scores{0, -10, -10, -10, -1, -2, -3};
        const std::vector<bool> mergeable{false, true, true, true, true, true, true};
        const auto merges = merges_from_scores(pieces, scores, mergeable);
        PieceIds vocab;
        for (size_t i = 0; i < pieces.size(); ++i)
            vocab.emplace(pieces[i], static_cast<int32_t>(i));
        const BpeModel model(vocab, merges, {});
        QCOMPARE(encode(model, "abc"), (std::vector<int32_t>{6}));  // b+c (best score), then a+bc
        QCOMPARE(encode(model, "abab"), (std::vector<int32_t>{5, 5}));
    }

    void findsAddedTokensLeftmostLongest() {
        const AddedTokenMatcher matcher({{.id = 10, .content = "<a>", .special = true},
                                         {.id = 11, .content = "<a><b>", .special = true},
                                         {.id = 12, .content = "<think>"}});
        const auto segments = matcher.split("x<a><b>y<a>z<think>", true);
        QCOMPARE(segments.size(), size_t{6});
        QCOMPARE(segments[0].text, std::string_view("x"));
        QCOMPARE(segments[1].token, 11);
        QCOMPARE(segments[2].text, std::string_view("y"));
        QCOMPARE(segments[3].token, 10);
        QCOMPARE(segments[4].text, std::string_view("z"));
        QCOMPARE(segments[5].token, 12);
        // Without parse_special only the non-special token is found.
        const auto literal = matcher.split("x<a><b>y<think>", false);
        QCOMPARE(literal.size(), size_t{2});
        QCOMPARE(literal[0].text, std::string_view("x<a><b>y"));
        QCOMPARE(literal[1].token, 12);
    }

    void stripsAndKeepsWordsAroundAddedTokens() {
        const AddedTokenMatcher strip(
            {{.id = 1, .content = "<L>", .lstrip = true}, {.id = 2, .content = "<R>", .rstrip = true}});
        const auto segments = strip.split("a  <L>  b  <R>  c", true);
        QCOMPARE(segments.size(), size_t{5});
        QCOMPARE(segments[0].text, std::string_view("a"));  // spaces before <L> swallowed
        QCOMPARE(segments[2].text, std::string_view("  b  "));
        QCOMPARE(segments[4].text, std::string_view("c"));  // spaces after <R> swallowed
        QCOMPARE(segments[4].offset, size_t{16});

        const AddedTokenMatcher word({{.id = 1, .content = "ing", .single_word = true}});
        QCOMPARE(word.split("sing", true).size(), size_t{1});  // inside a word: not a match
        QCOMPARE(word.split("a ing b", true).size(), size_t{3});
    }

    void decodesLikeSentencePiece() {
        std::vector<std::unique_ptr<DecoderStep>> steps;
        steps.push_back(std::make_unique<ReplaceDecoder>(Pattern::literal(kMetaspace), " "));
        steps.push_back(std::make_unique<ByteFallbackDecoder>());
        steps.push_back(std::make_unique<FuseDecoder>());
        steps.push_back(std::make_unique<StripDecoder>(" ", 1, 0));
        const Decoder llama2(std::move(steps));
        QCOMPARE(decode(llama2, {kMetaspace + "Hello", kMetaspace + "w", "<0xC3>", "<0xA9>"}),
                 std::string("Hello w\xC3\xA9"));
        // In the middle of a sequence the leading space stays.
        QCOMPARE(decode(llama2, {kMetaspace + "Hello"}, false), std::string(" Hello"));
        // Bytes are left as they are; the caller makes UTF-8 of the whole text.
        QCOMPARE(decode(llama2, {"<0xE2>", "<0x82>"}), std::string("\xE2\x82"));

        std::vector<std::unique_ptr<DecoderStep>> metaspace;
        metaspace.push_back(std::make_unique<MetaspaceDecoder>(kMetaspace, PrependScheme::First));
        const Decoder mistral(std::move(metaspace));
        QCOMPARE(decode(mistral, {kMetaspace + "Hi", kMetaspace + "there"}), std::string("Hi there"));
        QCOMPARE(decode(mistral, {kMetaspace + "there"}, false), std::string(" there"));
    }

    void decodesByteLevelButLeavesAddedTokensAlone() {
        std::vector<std::unique_ptr<DecoderStep>> steps;
        steps.push_back(std::make_unique<ByteLevelDecoder>());
        const Decoder decoder(std::move(steps));
        // "ĠĀ" is a space and byte 0 in GPT-2's alphabet; as an added token's content it stays as written.
        QCOMPARE(decoder.decode({"\xC4\xA0hi", "\xC4\xA0\xC4\x80"}, {false, true}, true),
                 std::string(" hi\xC4\xA0\xC4\x80"));
        QCOMPARE(decoder.decode({"\xC4\xA0\xC4\x80"}, {false}, true), std::string(" \0", 2));
    }

    void refusesDecoderChainsThatCannotStream() {
        std::vector<std::unique_ptr<DecoderStep>> steps;
        steps.push_back(std::make_unique<FuseDecoder>());
        steps.push_back(std::make_unique<StripDecoder>(" ", 0, 1));
        QVERIFY_THROWS_EXCEPTION(Error, Decoder(std::move(steps)));
        std::vector<std::unique_ptr<DecoderStep>> per_token;
        per_token.push_back(std::make_unique<StripDecoder>(" ", 0, 1));
        const Decoder strip_each(std::move(per_token));
        QCOMPARE(decode(strip_each, {"a ", "b "}), std::string("ab"));
        QCOMPARE(decode(Decoder::join_with_spaces(), {"a", "b"}), std::string("a b"));
        QCOMPARE(decode(Decoder::join_with_spaces(), {"c"}, false), std::string(" c"));
    }
};

QTEST_APPLESS_MAIN(TestTokenizerStages)
#include "test_tokenizer_stages.moc"
