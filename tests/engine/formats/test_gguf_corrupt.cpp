// The GGUF reader against broken files: every count, length, type and offset that can be wrong is wrong in
// one test file built here, and each must give an Error that says what is wrong, never a crash or a huge
// allocation. Runs under the sanitizer build too.
#include <QtTest>

#include <cstring>
#include <limits>

#include "formats/gguf.h"
#include "formats/gguf_format.h"
#include "formats/gguf_sample.h"
#include "formats/gguf_value.h"
#include "util/error.h"

using namespace loom;

namespace {

// Builds GGUF bytes field by field, so that a test can write exactly the wrong thing.
class RawGguf {
  public:
    RawGguf& u8(uint8_t value) { return put(value); }
    RawGguf& u32(uint32_t value) { return put(value); }
    RawGguf& u64(uint64_t value) { return put(value); }
    RawGguf& str(std::string_view text) {
        u64(text.size());
        for (char c : text)
            u8(uint8_t(c));
        return *this;
    }
    RawGguf& header(uint32_t version, uint64_t tensors, uint64_t entries) {
        return u32(gguf::kMagic).u32(version).u64(tensors).u64(entries);
    }
    RawGguf& key(std::string_view name, GgufValueType type) { return str(name).u32(uint32_t(type)); }
    // dims innermost first, as GGUF stores them.
    RawGguf& tensor(std::string_view name, std::vector<uint64_t> dims, uint32_t ggml_type, uint64_t offset) {
        str(name).u32(uint32_t(dims.size()));
        for (uint64_t dim : dims)
            u64(dim);
        return u32(ggml_type).u64(offset);
    }
    RawGguf& pad_to(size_t alignment) {
        while (bytes_.size() % alignment)
            u8(0);
        return *this;
    }
    RawGguf& fill(size_t count, uint8_t value = 0x3c) {
        bytes_.insert(bytes_.end(), count, std::byte(value));
        return *this;
    }
    const std::vector<std::byte>& bytes() const { return bytes_; }

  private:
    template <class T>
    RawGguf& put(T value) {
        std::byte raw[sizeof(T)];
        std::memcpy(raw, &value, sizeof(T));
        bytes_.insert(bytes_.end(), raw, raw + sizeof(T));
        return *this;
    }
    std::vector<std::byte> bytes_;
};

constexpr uint32_t kF32 = 0, kQ8_0 = 8;

// The message of the Error that parsing `bytes` throws, or "" if it parses.
std::string parse_error(std::span<const std::byte> bytes) {
    try {
        GgufFile::parse(bytes, "broken.gguf");
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

}  // namespace

#define EXPECT_PARSE_ERROR(raw, part)                                                              \
    do {                                                                                           \
        std::string error_ = parse_error((raw).bytes());                                           \
        QVERIFY2(error_.find(part) != std::string::npos,                                           \
                 ("got: \"" + error_ + "\"\nexpected it to contain: \"" + (part) + "\"").c_str()); \
    } while (false)

class TestGgufCorrupt : public QObject {
    Q_OBJECT
  private slots:
    void refusesWhatIsNotGguf() {
        EXPECT_PARSE_ERROR(RawGguf(), std::string("broken.gguf is not a GGUF file"));
        EXPECT_PARSE_ERROR(RawGguf().u8('G').u8('G').u8('U'), std::string("is not a GGUF file"));
        EXPECT_PARSE_ERROR(RawGguf().u32(0x46554748).u32(3).u64(0).u64(0), std::string("is not a GGUF file"));
    }

    void refusesOtherVersions() {
        EXPECT_PARSE_ERROR(RawGguf().header(1, 0, 0), std::string("GGUF version 1 file, an early draft"));
        EXPECT_PARSE_ERROR(RawGguf().header(4, 0, 0),
                           std::string("has GGUF version 4; Loom reads versions 2 and 3"));
        EXPECT_PARSE_ERROR(RawGguf().header(0, 0, 0), std::string("has GGUF version 0"));
        EXPECT_PARSE_ERROR(RawGguf().header(0x03000000, 0, 0), std::string("big-endian"));
    }

    void readsVersion2() {
        RawGguf raw;
        raw.header(2, 1, 1).key("general.architecture", GgufValueType::String).str("llama");
        raw.tensor("w", {4}, kF32, 0).pad_to(32).fill(16);
        GgufFile file = GgufFile::parse(raw.bytes());
        QCOMPARE(file.version(), 2u);
        QCOMPARE(file.tensors().size(), size_t{1});
        QCOMPARE(file.tensors()[0].data.size(), size_t{16});
    }

    void refusesHugeCounts() {
        EXPECT_PARSE_ERROR(
            RawGguf().header(3, 0, uint64_t{1} << 62),
            std::string("the header claims 4611686018427387904 metadata entries, but only 0 bytes"));
        EXPECT_PARSE_ERROR(RawGguf().header(3, std::numeric_limits<uint64_t>::max(), 0),
                           std::string("the tensor directory claims 18446744073709551615 tensors"));
        RawGguf array;
        array.header(3, 0, 1)
            .key("big", GgufValueType::Array)
            .u32(uint32_t(GgufValueType::U32))
            .u64(uint64_t{1} << 60);
        EXPECT_PARSE_ERROR(
            array, std::string("metadata key 'big' claims 1152921504606846976 uint32 array elements"));
        RawGguf strings;
        strings.header(3, 0, 1).key("words", GgufValueType::Array).u32(uint32_t(GgufValueType::String));
        strings.u64(uint64_t{1} << 60).fill(100);
        EXPECT_PARSE_ERROR(strings, std::string("claims 1152921504606846976 string array elements"));
    }

    void refusesStringsPastTheEnd() {
        EXPECT_PARSE_ERROR(
            RawGguf().header(3, 0, 1).u64(1000).fill(10),
            std::string("the key of metadata entry 0 claims 1000 bytes at byte 32, but only 10"));
        RawGguf value;
        value.header(3, 0, 1).key("general.name", GgufValueType::String).u64(uint64_t{1} << 63).fill(3);
        EXPECT_PARSE_ERROR(value,
                           std::string("a string of metadata key 'general.name' claims 9223372036854775808"));
        RawGguf name;
        name.header(3, 1, 0).u64(77).fill(30);
        EXPECT_PARSE_ERROR(name, std::string("the name of tensor 0 in the directory claims 77 bytes"));
    }

    void refusesBadValues() {
        RawGguf unknown_type;
        unknown_type.header(3, 0, 1).key("k", GgufValueType(13)).u32(0);
        EXPECT_PARSE_ERROR(unknown_type,
                           std::string("metadata key 'k' has value type 13, which is not a GGUF"));
        RawGguf unknown_element;
        unknown_element.header(3, 0, 1).key("k", GgufValueType::Array).u32(99).u64(0);
        EXPECT_PARSE_ERROR(unknown_element, std::string("metadata key 'k' has value type 99"));
        RawGguf nested;
        nested.header(3, 0, 1).key("k", GgufValueType::Array).u32(uint32_t(GgufValueType::Array)).u64(1);
        EXPECT_PARSE_ERROR(nested, std::string("metadata key 'k' is an array of arrays"));
        RawGguf bad_bool;
        bad_bool.header(3, 0, 1).key("flag", GgufValueType::Bool).u8(2);
        EXPECT_PARSE_ERROR(bad_bool, std::string("metadata key 'flag' holds a bool stored as 2"));
        RawGguf twice;
        twice.header(3, 0, 2).key("k", GgufValueType::U8).u8(1).key("k", GgufValueType::U8).u8(2);
        EXPECT_PARSE_ERROR(twice, std::string("metadata key 'k' appears twice"));
        RawGguf truncated;
        truncated.header(3, 0, 1).key("k", GgufValueType::U64).u32(0);
        EXPECT_PARSE_ERROR(truncated, std::string("in the middle of a number of metadata key 'k'"));
    }

    void refusesBadAlignment() {
        for (uint32_t alignment : {0u, 48u, 33u}) {
            RawGguf raw;
            raw.header(3, 0, 1).key("general.alignment", GgufValueType::U32).u32(alignment);
            EXPECT_PARSE_ERROR(
                raw, "general.alignment is " + std::to_string(alignment) + ", which is not a power");
        }
        RawGguf text;
        text.header(3, 0, 1).key("general.alignment", GgufValueType::String).str("32");
        EXPECT_PARSE_ERROR(
            text, std::string("'general.alignment' holds a string, expected a non-negative integer"));
    }

    void refusesTensorsOutsideTheFile() {
        RawGguf past_end;
        past_end.header(3, 1, 0).tensor("w", {4}, kF32, 1024).pad_to(32).fill(16);
        EXPECT_PARSE_ERROR(past_end,
                           std::string("tensor 'w' (16 bytes at offset 1024 of the data section, which "
                                       "starts at byte 64) runs past the end of the file (80 bytes)"));
        RawGguf wraps_around;
        wraps_around.header(3, 1, 0).tensor("w", {4}, kF32, uint64_t(0) - 32).pad_to(32).fill(16);
        EXPECT_PARSE_ERROR(wraps_around, std::string("tensor 'w' (16 bytes at offset 18446744073709551584"));
        RawGguf no_data;  // the directory ends the file: there is no data section at all
        no_data.header(3, 1, 0).tensor("w", {4}, kF32, 0);
        EXPECT_PARSE_ERROR(no_data, std::string("runs past the end of the file"));
    }

    void refusesMisalignedAndOverlappingTensors() {
        RawGguf misaligned;
        misaligned.header(3, 1, 0).tensor("w", {4}, kF32, 4).pad_to(32).fill(64);
        EXPECT_PARSE_ERROR(misaligned,
                           std::string("tensor 'w' starts at offset 4 of the data section, which is not "
                                       "a multiple of the alignment 32"));
        RawGguf overlapping;
        overlapping.header(3, 2, 0)
            .tensor("a", {16}, kF32, 32)
            .tensor("b", {16}, kF32, 0)
            .pad_to(32)
            .fill(96);
        EXPECT_PARSE_ERROR(overlapping,
                           std::string("tensors 'b' (data offsets 0 to 64) and 'a' (from 32) overlap"));
        RawGguf same_name;
        same_name.header(3, 2, 0).tensor("a", {8}, kF32, 0).tensor("a", {8}, kF32, 32).pad_to(32).fill(64);
        EXPECT_PARSE_ERROR(same_name, std::string("tensor 'a' appears twice"));
        // Touching is fine, and so are empty tensors anywhere.
        RawGguf touching;
        touching.header(3, 3, 0)
            .tensor("a", {8}, kF32, 0)
            .tensor("b", {8}, kF32, 32)
            .tensor("e", {0, 8}, kF32, 32);
        touching.pad_to(32).fill(64);
        QCOMPARE(parse_error(touching.bytes()), std::string());
    }

    void refusesBadTensorTypesAndShapes() {
        RawGguf unknown;
        unknown.header(3, 1, 0).tensor("w", {4}, 77, 0).pad_to(32).fill(16);
        EXPECT_PARSE_ERROR(unknown,
                           std::string("tensor 'w' has ggml type id 77, which is not a known ggml type"));
        RawGguf unsupported;
        unsupported.header(3, 1, 0).tensor("w", {256}, 16, 0).pad_to(32).fill(128);
        EXPECT_PARSE_ERROR(unsupported,
                           std::string("tensor 'w' is stored as IQ2_XXS (ggml type 16), which Loom "
                                       "does not support"));
        RawGguf five_dims;
        five_dims.header(3, 1, 0).tensor("w", {1, 1, 1, 1, 1}, kF32, 0).pad_to(32).fill(32);
        EXPECT_PARSE_ERROR(five_dims, std::string("tensor 'w' has 5 dimensions; GGUF allows at most 4"));
        RawGguf overflow;
        overflow.header(3, 1, 0).tensor("w", {uint64_t{1} << 32, uint64_t{1} << 32}, kF32, 0).pad_to(32);
        EXPECT_PARSE_ERROR(overflow,
                           std::string("tensor 'w' has dimensions [4294967296, 4294967296] (innermost "
                                       "first) whose number of elements overflows"));
        RawGguf too_big_dim;
        too_big_dim.header(3, 1, 0).tensor("w", {uint64_t{1} << 63}, kF32, 0).pad_to(32);
        EXPECT_PARSE_ERROR(too_big_dim, std::string("number of elements overflows"));
        RawGguf bytes_overflow;
        bytes_overflow.header(3, 1, 0).tensor("w", {uint64_t{1} << 62}, kF32, 0).pad_to(32);
        EXPECT_PARSE_ERROR(bytes_overflow, std::string("whose size in bytes overflows"));
        RawGguf partial_block;
        partial_block.header(3, 1, 0).tensor("w", {16, 2}, kQ8_0, 0).pad_to(32).fill(64);
        EXPECT_PARSE_ERROR(partial_block,
                           std::string("tensor 'w' has rows of 16 elements, which is not a whole "
                                       "number of Q8_0 blocks of 32 elements"));
    }

    // Cut a valid file short anywhere before the end of its last tensor: always an Error. From there on only
    // the last tensor's padding is missing, which does not matter.
    void refusesTruncationAtEveryByte() {
        test::GgufSample sample;
        const std::vector<std::byte> bytes = sample.bytes();
        GgufFile whole = GgufFile::parse(bytes);
        const StoredTensor& last = whole.tensors().back();
        const size_t needed = whole.file_offset(last) + last.data.size();
        QVERIFY(needed < bytes.size());
        for (size_t size = 0; size < bytes.size(); ++size) {
            std::string error = parse_error(std::span(bytes).first(size));
            if (size < needed)
                QVERIFY2(!error.empty(), qPrintable(QString("a file cut to %1 bytes parsed").arg(size)));
            else
                QVERIFY2(error.empty(), error.c_str());
        }
    }

    // Overwrite each byte of a valid file with a few telling values: the reader must parse or throw Error,
    // nothing else (the sanitizer build catches out-of-bounds reads and overflows on the way).
    void survivesEveryByteOverwritten() {
        test::GgufSample sample;
        const std::vector<std::byte> original = sample.bytes();
        size_t refused = 0;
        for (size_t position = 0; position < original.size(); ++position) {
            for (uint8_t value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
                std::vector<std::byte> bytes = original;
                bytes[position] = std::byte(value);
                try {
                    GgufFile file = GgufFile::parse(bytes);
                    (void)file.tensor_set();
                } catch (const Error&) {
                    ++refused;
                }
            }
        }
        QVERIFY(refused > 0);
    }
};

QTEST_APPLESS_MAIN(TestGgufCorrupt)
#include "test_gguf_corrupt.moc"
