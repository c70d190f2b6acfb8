#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

#include "formats/safetensors.h"
#include "formats/safetensors_writer.h"
#include "test_support.h"

using namespace loom;
using loom::test::expect_error;

namespace {

// A safetensors image: header JSON text, then `data_bytes` bytes of data.
std::string image(const std::string& header, size_t data_bytes, uint64_t claimed_length = UINT64_MAX) {
    uint64_t length = claimed_length == UINT64_MAX ? header.size() : claimed_length;
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[size_t(i)] = static_cast<char>((length >> (8 * i)) & 0xff);
    return out + header + std::string(data_bytes, '\x01');
}

void parse(const std::string& bytes) {
    TensorSet set;
    parse_safetensors(std::as_bytes(std::span(bytes.data(), bytes.size())), "test.safetensors", set);
}

}  // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
  private slots:
    void parsesTensors() {
        std::string bytes = image(
            R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
            R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"I64","shape":[1],"data_offsets":[32,40]}})",
            40);
        TensorSet set;
        parse_safetensors(std::as_bytes(std::span(bytes.data(), bytes.size())), "t", set);
        QCOMPARE(set.all().size(), size_t(2));
        const StoredTensor* a = set.find("a");
        QVERIFY(a);
        QCOMPARE(a->dtype, DType::F32);
        QCOMPARE(a->shape, (std::vector<int64_t>{2, 3}));
        QCOMPARE(a->data.size(), size_t(24));
        QCOMPARE(set.find("b")->dtype, DType::BF16);
        QVERIFY(!set.find("c"));  // I64 is kept aside, not an error until something needs it
        QCOMPARE(*set.skipped_type("c"), std::string("I64"));
    }

    void refusesBadFiles_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        auto add = [](const char* name, const std::string& bytes, const char* expected) {
            QTest::newRow(name) << QByteArray(bytes.data(), qsizetype(bytes.size())) << QString(expected);
        };
        const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        add("empty", "", "too short");
        add("header past end", image(ok, 8, 1u << 20), "runs past the end");
        add("huge header length", image(ok, 8, UINT64_MAX - 1), "runs past the end");
        add("truncated data", image(ok, 4), "lie outside");
        add("not json", image("{not json", 0), "not valid JSON");
        add("not an object", image("[1,2]", 0), "not a JSON object");
        add("offsets reversed", image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
            "lie outside");
        add("wrong size for dtype", image(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}})", 8),
            "need 4");
        add("overlap",
            image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                  12),
            "overlap");
        add("negative shape", image(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
            "non-negative");
        add("huge shape",
            image(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
            "too large");
        add("unknown dtype", image(R"({"a":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}})", 8),
            "unknown dtype");
        add("missing offsets", image(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "data_offsets");
        add("float offsets", image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0.5,8]}})", 8),
            "non-negative integer");
    }
    void refusesBadFiles() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        expect_error([&] { parse(std::string(bytes.constData(), size_t(bytes.size()))); },
                     expected.toStdString());
    }

    void everyTruncationIsAnError() {
        std::string whole = image(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})", 16);
        for (size_t length = 0; length < whole.size(); ++length) {
            bool threw = false;
            try {
                parse(whole.substr(0, length));
            } catch (const Error&) {
                threw = true;
            }
            QVERIFY2(threw, ("truncated to " + std::to_string(length) + " bytes was accepted").c_str());
        }
    }

    void writerRoundTrip() {
        QTemporaryDir dir;
        std::filesystem::path path = dir.filePath("m.safetensors").toStdString();
        std::vector<TensorToWrite> tensors = {
            {"x",
             DType::F32,
             {2, 2},
             [](std::span<std::byte> out) {
                 float v[4] = {1, 2, 3, 4};
                 std::memcpy(out.data(), v, sizeof v);
             }},
            {"y",
             DType::BF16,
             {3},
             [](std::span<std::byte> out) { std::memset(out.data(), 0x3f, out.size()); }},
        };
        write_safetensors(path, tensors);
        TensorSet set;
        read_safetensors_file(path, set);
        QCOMPARE(set.find("x")->shape, (std::vector<int64_t>{2, 2}));
        QCOMPARE(reinterpret_cast<const float*>(set.find("x")->data.data())[3], 4.0f);
        QCOMPARE(set.find("y")->data.size(), size_t(6));
        std::string file = loom::test::read_file(path);
        uint64_t header_length = 0;
        std::memcpy(&header_length, file.data(), 8);
        QCOMPARE(header_length % 8, uint64_t(0));  // the data starts 8-byte aligned
    }

    void shardedFolder() {
        QTemporaryDir dir;
        std::filesystem::path folder = dir.path().toStdString();
        auto one = [](const char* name) {
            return std::vector<TensorToWrite>{{name, DType::F32, {1}, [](std::span<std::byte> out) {
                                                   std::memset(out.data(), 0, out.size());
                                               }}};
        };
        write_safetensors(folder / "model-00001-of-00002.safetensors", one("a"));
        write_safetensors(folder / "model-00002-of-00002.safetensors", one("b"));
        loom::test::write_file(
            folder / "model.safetensors.index.json",
            R"({"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})");
        TensorSet set = read_safetensors_folder(folder);
        QVERIFY(set.find("a") && set.find("b"));
        QCOMPARE(set.files().size(), size_t(2));

        loom::test::write_file(
            folder / "model.safetensors.index.json",
            R"({"weight_map":{"a":"model-00001-of-00002.safetensors","c":"model-00003-of-00003.safetensors"}})");
        expect_error([&] { read_safetensors_folder(folder); }, "is missing");
        loom::test::write_file(folder / "model.safetensors.index.json",
                               R"({"weight_map":{"z":"model-00001-of-00002.safetensors"}})");
        expect_error([&] { read_safetensors_folder(folder); }, "but it is not");
        loom::test::write_file(folder / "model.safetensors.index.json",
                               R"({"weight_map":{"a":"../evil.safetensors"}})");
        expect_error([&] { read_safetensors_folder(folder); }, "same folder");
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
