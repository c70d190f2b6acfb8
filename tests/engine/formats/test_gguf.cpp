// Reading the real stories260K.gguf, writing GGUF files and reading them back, and the typed metadata
// accessors. Corrupt files are tested in test_gguf_corrupt.cpp.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "formats/gguf.h"
#include "formats/gguf_format.h"
#include "formats/gguf_keys.h"
#include "formats/gguf_sample.h"
#include "formats/gguf_writer.h"
#include "util/error.h"

using namespace loom;
namespace key = gguf::key;

namespace {

const std::string kStoriesPath = LOOM_TEST_DATA_DIR "/models/stories260K.gguf";

std::vector<std::byte> to_bytes(const GgufWriter& writer) {
    std::ostringstream out;
    writer.write(out);
    const std::string text = out.str();
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return bytes;
}

// The message of the Error that `action` throws, or "" if it throws none.
template <class Action>
std::string error_of(Action&& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

class TestGguf : public QObject {
    Q_OBJECT
  private slots:
    void readsStoriesHyperParameters() {
        GgufFile file = GgufFile::open(kStoriesPath);
        const GgufMetadata& meta = file.metadata();
        QCOMPARE(file.version(), 3u);
        QCOMPARE(file.alignment(), uint64_t{32});
        QCOMPARE(meta.size(), size_t{19});
        QCOMPARE(meta.require_string(key::kGeneralArchitecture), std::string_view("llama"));
        QCOMPARE(meta.get_string(key::kGeneralName), std::optional<std::string_view>("llama"));
        auto llama = [](std::string_view suffix) { return gguf::arch_key("llama", suffix); };
        QCOMPARE(meta.require_uint(llama(key::kContextLength)), uint64_t{2048});
        QCOMPARE(meta.require_uint(llama(key::kEmbeddingLength)), uint64_t{64});
        QCOMPARE(meta.require_uint(llama(key::kFeedForwardLength)), uint64_t{172});
        QCOMPARE(meta.require_uint(llama(key::kBlockCount)), uint64_t{5});
        QCOMPARE(meta.require_uint(llama(key::kHeadCount)), uint64_t{8});
        QCOMPARE(meta.require_uint(llama(key::kHeadCountKv)), uint64_t{4});
        QCOMPARE(meta.require_uint(llama(key::kRopeDimensionCount)), uint64_t{8});
        QCOMPARE(meta.require_float(llama(key::kLayerNormRmsEpsilon)), double(1e-5f));
        // Optional keys this file leaves out: the loader falls back to defaults or the tensors' shapes.
        QVERIFY(!meta.get_float(llama(key::kRopeFreqBase)));
        QVERIFY(!meta.get_uint(llama(key::kVocabSize)));
        QVERIFY(!meta.get_string(key::kTokenizerChatTemplate));
    }

    void readsStoriesTokenizer() {
        GgufFile file = GgufFile::open(kStoriesPath);
        const GgufMetadata& meta = file.metadata();
        QCOMPARE(meta.require_string(key::kTokenizerModel), std::string_view("llama"));
        QCOMPARE(meta.get_uint(key::kTokenizerUnknownTokenId), std::optional<uint64_t>(0));
        QCOMPARE(meta.get_uint(key::kTokenizerBosTokenId), std::optional<uint64_t>(1));
        QCOMPARE(meta.get_uint(key::kTokenizerEosTokenId), std::optional<uint64_t>(2));
        QCOMPARE(meta.get_uint(key::kTokenizerPaddingTokenId), std::optional<uint64_t>(4294967295u));

        auto tokens = meta.get_string_array(key::kTokenizerTokens);
        QVERIFY(tokens);
        QCOMPARE(tokens->size(), size_t{512});
        QCOMPARE((*tokens)[0], std::string("<unk>"));
        QCOMPARE((*tokens)[1], std::string("<s>"));
        QCOMPARE((*tokens)[2], std::string("</s>"));
        QCOMPARE((*tokens)[3], std::string("<0x00>"));
        QCOMPARE((*tokens)[258], std::string("<0xFF>"));

        auto scores = meta.get_float_array(key::kTokenizerScores);
        QVERIFY(scores);
        QCOMPARE(scores->size(), size_t{512});
        for (float score : *scores)
            QVERIFY(std::isfinite(score));

        auto types = meta.get_int_array(key::kTokenizerTokenType);
        QVERIFY(types);
        QCOMPARE(types->size(), size_t{512});
        QCOMPARE((*types)[0], int64_t(gguf::TokenType::Unknown));
        QCOMPARE((*types)[1], int64_t(gguf::TokenType::Control));
        QCOMPARE((*types)[2], int64_t(gguf::TokenType::Control));
        for (int i = 3; i <= 258; ++i)
            QCOMPARE((*types)[i], int64_t(gguf::TokenType::Byte));
        QCOMPARE((*types)[259], int64_t(gguf::TokenType::Normal));
    }

    void readsStoriesTensors() {
        GgufFile file = GgufFile::open(kStoriesPath);
        const auto& tensors = file.tensors();
        QCOMPARE(tensors.size(), size_t{3 + 5 * 9});
        TensorSet set = file.tensor_set();
        QCOMPARE(set.all().size(), tensors.size());
        QCOMPARE(set.files().size(), size_t{1});

        auto shape_of = [&](const char* name) {
            const StoredTensor* tensor = set.find(name);
            return tensor ? tensor->shape : std::vector<int64_t>{-1};
        };
        // Shapes outermost first: [rows, row length], the reverse of GGUF's ne[].
        QCOMPARE(shape_of("token_embd.weight"), (std::vector<int64_t>{512, 64}));
        QCOMPARE(shape_of("output.weight"), (std::vector<int64_t>{512, 64}));
        QCOMPARE(shape_of("output_norm.weight"), (std::vector<int64_t>{64}));
        QCOMPARE(shape_of("blk.0.attn_q.weight"), (std::vector<int64_t>{64, 64}));
        QCOMPARE(shape_of("blk.2.attn_k.weight"), (std::vector<int64_t>{32, 64}));  // 4 KV heads of 8
        QCOMPARE(shape_of("blk.4.ffn_gate.weight"), (std::vector<int64_t>{172, 64}));
        QCOMPARE(shape_of("blk.4.ffn_down.weight"), (std::vector<int64_t>{64, 172}));

        // Every tensor is F32, its bytes match its shape, lie inside the file, start aligned and do not
        // overlap; together with the header they fill the file exactly (every size is a multiple of 32).
        std::vector<std::pair<uint64_t, uint64_t>> ranges;
        uint64_t total = 0;
        for (const StoredTensor& tensor : tensors) {
            QCOMPARE(tensor.dtype, DType::F32);
            QCOMPARE(tensor.data.size(), size_t(tensor.elements()) * 4);
            uint64_t begin = file.file_offset(tensor);
            QVERIFY(begin >= file.data_offset());
            QCOMPARE((begin - file.data_offset()) % 32, uint64_t{0});
            QVERIFY(begin + tensor.data.size() <= file.bytes().size());
            ranges.emplace_back(begin, begin + tensor.data.size());
            total += tensor.data.size();
        }
        std::sort(ranges.begin(), ranges.end());
        for (size_t i = 1; i < ranges.size(); ++i)
            QVERIFY(ranges[i - 1].second <= ranges[i].first);
        QCOMPARE(file.data_offset() + total, uint64_t(file.bytes().size()));
        QCOMPARE(set.total_bytes(), total);

        // The weights are real numbers: RMS-norm gains finite and not all zero.
        for (const StoredTensor& tensor : tensors) {
            if (!contains(tensor.name, "norm")) continue;
            std::vector<float> gains(size_t(tensor.elements()));
            std::memcpy(gains.data(), tensor.data.data(), tensor.data.size());
            QVERIFY2(std::all_of(gains.begin(), gains.end(), [](float g) { return std::isfinite(g); }),
                     tensor.name.c_str());
            QVERIFY2(std::any_of(gains.begin(), gains.end(), [](float g) { return g != 0; }),
                     tensor.name.c_str());
        }
    }

    void tensorSetOutlivesTheFile() {
        TensorSet set = GgufFile::open(kStoriesPath).tensor_set();
        const StoredTensor* norm = set.find("output_norm.weight");
        QVERIFY(norm);
        float first;
        std::memcpy(&first, norm->data.data(), sizeof(first));  // the map is still there (ASan would say)
        QVERIFY(std::isfinite(first));
    }

    // Writing stories260K back with GgufWriter gives the very bytes llama.cpp's converter wrote: evidence
    // that other GGUF readers open what Loom writes.
    void rewritingStoriesGivesTheSameBytes() {
        GgufFile original = GgufFile::open(kStoriesPath);
        GgufWriter writer;
        for (const auto& [name, value] : original.metadata().entries())
            writer.set(name, value);
        for (const StoredTensor& tensor : original.tensors())
            writer.add_tensor(tensor);
        std::vector<std::byte> rewritten = to_bytes(writer);
        QCOMPARE(rewritten.size(), original.bytes().size());
        QVERIFY(std::equal(rewritten.begin(), rewritten.end(), original.bytes().begin()));
    }

    void writerRoundTripsEveryValueTypeAndTensor() {
        test::GgufSample sample;
        std::vector<std::byte> bytes = sample.bytes();
        GgufFile file = GgufFile::parse(bytes, "sample.gguf");
        QCOMPARE(file.version(), gguf::kWrittenVersion);
        QCOMPARE(file.alignment(), uint64_t{32});
        QCOMPARE(file.data_offset() % 32, uint64_t{0});
        compare_with_writer(file, sample.writer());
    }

    void writerAlignsToGeneralAlignment() {
        test::GgufSample sample(256);
        std::vector<std::byte> bytes = sample.bytes();
        GgufFile file = GgufFile::parse(bytes, "sample.gguf");
        QCOMPARE(file.alignment(), uint64_t{256});
        QCOMPARE(file.data_offset() % 256, uint64_t{0});
        for (const StoredTensor& tensor : file.tensors())
            QCOMPARE(file.file_offset(tensor) % 256, uint64_t{0});
        // Every tensor, the last included, is padded to the alignment.
        QCOMPARE(uint64_t(bytes.size()) % 256, uint64_t{0});
        compare_with_writer(file, sample.writer());
    }

    void writesAndOpensAFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("sample.gguf").toStdString();
        test::GgufSample sample;
        sample.writer().write_file(path);
        QVERIFY(!QFile::exists(QString::fromStdString(path + ".partial")));
        GgufFile file = GgufFile::open(path);
        compare_with_writer(file, sample.writer());
        QCOMPARE(file.source(), path);

        std::string error =
            error_of([&] { sample.writer().write_file(dir.filePath("no/such/dir.gguf").toStdString()); });
        QVERIFY2(contains(error, "cannot create") && contains(error, "no/such/dir.gguf.partial"),
                 error.c_str());
    }

    void writerRefusesBadTensors() {
        std::vector<std::byte> bytes(64);
        auto add = [&](std::string name, DType dtype, std::vector<int64_t> shape, size_t size) {
            return error_of([&] {
                GgufWriter writer;
                writer.add_tensor({"taken", DType::F32, {1}, std::span(bytes).first(4)});
                writer.add_tensor({std::move(name), dtype, std::move(shape), std::span(bytes).first(size)});
            });
        };
        QCOMPARE(add("ok", DType::F32, {4, 4}, 64), std::string());
        std::string error = add("w", DType::F32, {4, 4}, 60);
        QVERIFY2(contains(error, "need 64 bytes, but it has 60"), error.c_str());
        error = add("w", DType::Q8_0, {1, 16}, 17);
        QVERIFY2(contains(error, "rows of 16 elements are not a whole number of blocks of 32"),
                 error.c_str());
        error = add("w", DType::F32, {1, 1, 1, 1, 4}, 16);
        QVERIFY2(contains(error, "5 dimensions"), error.c_str());
        error = add("w", DType::F32, {}, 4);
        QVERIFY2(contains(error, "0 dimensions"), error.c_str());
        error = add("w", DType::F32, {-1, 4}, 0);
        QVERIFY2(contains(error, "negative"), error.c_str());
        error = add(std::string(64, 'x'), DType::F32, {1}, 4);
        QVERIFY2(contains(error, "1 to 63 bytes"), error.c_str());
        error = add("taken", DType::F32, {1}, 4);
        QVERIFY2(contains(error, "twice"), error.c_str());

        GgufWriter writer;
        error = error_of([&] { writer.set_alignment(48); });
        QVERIFY2(contains(error, "48 is not a power of two"), error.c_str());
        writer.set(key::kGeneralAlignment, GgufValue::scalar(uint64_t{64}));  // llama.cpp wants a uint32
        error = error_of([&] { to_bytes(writer); });
        QVERIFY2(contains(error, "must be a uint32 power of two"), error.c_str());
    }

    void accessorsConvertIntegersAndNameTheKey() {
        GgufMetadata meta("m.gguf");
        meta.set("u8", GgufValue::scalar(uint8_t{200}));
        meta.set("i32", GgufValue::scalar(int32_t{-7}));
        meta.set("u64.max", GgufValue::scalar(std::numeric_limits<uint64_t>::max()));
        meta.set("f64", GgufValue::scalar(0.25));
        meta.set("name", GgufValue::string("x"));
        meta.set("flag", GgufValue::scalar(true));
        meta.set("ints", GgufValue::array(std::vector<uint16_t>{1, 2, 3}));
        meta.set("words", GgufValue::array(std::vector<std::string>{"a", "b"}));
        meta.set("halves", GgufValue::array(std::vector<double>{0.5, 1.5}));

        QCOMPARE(meta.get_uint("u8"), std::optional<uint64_t>(200));
        QCOMPARE(meta.get_int("u8"), std::optional<int64_t>(200));
        QCOMPARE(meta.get_int("i32"), std::optional<int64_t>(-7));
        QCOMPARE(meta.get_float("i32"), std::optional<double>(-7));
        QCOMPARE(meta.get_float("f64"), std::optional<double>(0.25));
        QCOMPARE(meta.get_bool("flag"), std::optional<bool>(true));
        QVERIFY(!meta.get_uint("absent"));
        QCOMPARE(meta.get_int_array("ints"), (std::optional<std::vector<int64_t>>({1, 2, 3})));
        QCOMPARE(meta.get_float_array("ints"), (std::optional<std::vector<float>>({1, 2, 3})));
        QCOMPARE(meta.get_float_array("halves"), (std::optional<std::vector<float>>({0.5f, 1.5f})));
        QCOMPARE(meta.get_string_array("words")->size(), size_t{2});

        auto expect = [](auto&& action, std::string_view part) {
            std::string error = error_of(action);
            QVERIFY2(contains(error, part), (error + "  (expected: " + std::string(part) + ")").c_str());
        };
        expect([&] { meta.get_uint("i32"); }, "m.gguf: metadata key 'i32' holds -7");
        expect([&] { meta.get_int("u64.max"); }, "'u64.max' holds 18446744073709551615");
        expect([&] { meta.get_uint("name"); }, "'name' holds a string, expected a non-negative integer");
        expect([&] { meta.get_string("u8"); }, "'u8' holds a uint8, expected a string");
        expect([&] { meta.get_bool("u8"); }, "expected a bool");
        expect([&] { meta.get_float("flag"); }, "'flag' holds a bool, expected a number");
        expect([&] { meta.get_uint("ints"); }, "'ints' holds an array of 3 uint16, expected a non-negative");
        expect([&] { meta.get_string_array("name"); }, "'name' holds a string, expected an array of strings");
        expect([&] { meta.get_string_array("ints"); }, "expected an array of strings");
        expect([&] { meta.get_int_array("words"); },
               "'words' holds an array of 2 string, expected an array of int");
        expect([&] { meta.require_uint("llama.block_count"); },
               "m.gguf has no metadata key 'llama.block_count'");
        expect([&] { meta.require_string("general.architecture"); },
               "no metadata key 'general.architecture'");

        // set() replaces a value in place.
        meta.set("u8", GgufValue::scalar(uint8_t{1}));
        QCOMPARE(meta.entries().front().first, std::string("u8"));
        QCOMPARE(meta.get_uint("u8"), std::optional<uint64_t>(1));
    }

    void knowsTheGgmlTypeIds() {
        // ggml's numbering (ggml.h, docs/gguf.md), checked entry by entry: a wrong id would misread weights.
        const std::pair<DType, uint32_t> expected[] = {
            {DType::F32, 0},   {DType::F16, 1},   {DType::Q4_0, 2},  {DType::Q4_1, 3},  {DType::Q5_0, 6},
            {DType::Q5_1, 7},  {DType::Q8_0, 8},  {DType::Q2_K, 10}, {DType::Q3_K, 11}, {DType::Q4_K, 12},
            {DType::Q5_K, 13}, {DType::Q6_K, 14}, {DType::Q8_K, 15}, {DType::BF16, 30},
        };
        for (auto [dtype, id] : expected) {
            QCOMPARE(gguf::ggml_type_id(dtype), id);
            const gguf::GgmlType* type = gguf::find_ggml_type(id);
            QVERIFY(type && type->dtype == dtype);
            QCOMPARE(type->name, dtype_name(dtype));
        }
        QVERIFY(gguf::find_ggml_type(9) && !gguf::find_ggml_type(9)->dtype);  // Q8_1: known, not supported
        QVERIFY(!gguf::find_ggml_type(4));                                    // retired Q4_2
        QVERIFY(!gguf::find_ggml_type(1000));
    }

  private:
    static void compare_with_writer(const GgufFile& file, const GgufWriter& writer) {
        const auto& written = writer.metadata().entries();
        const auto& read = file.metadata().entries();
        QCOMPARE(read.size(), written.size());
        for (size_t i = 0; i < read.size(); ++i) {
            QCOMPARE(read[i].first, written[i].first);
            QVERIFY2(read[i].second == written[i].second, read[i].first.c_str());
            QCOMPARE(read[i].second.type(), written[i].second.type());
        }
        QCOMPARE(file.tensors().size(), writer.tensors().size());
        for (size_t i = 0; i < file.tensors().size(); ++i) {
            const StoredTensor& got = file.tensors()[i];
            const StoredTensor& want = writer.tensors()[i];
            QCOMPARE(got.name, want.name);
            QCOMPARE(got.dtype, want.dtype);
            QCOMPARE(got.shape, want.shape);
            QCOMPARE(got.data.size(), want.data.size());
            QVERIFY2(std::equal(got.data.begin(), got.data.end(), want.data.begin()), got.name.c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
