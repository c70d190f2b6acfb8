#include "formats/gguf_sample.h"

#include <cstring>
#include <limits>
#include <sstream>

#include "formats/gguf_format.h"
#include "formats/gguf_keys.h"

namespace loom::test {

GgufSample::GgufSample(uint32_t alignment) {
    using namespace gguf;
    if (alignment != kDefaultAlignment) writer_.set_alignment(alignment);
    writer_.set(key::kGeneralArchitecture, GgufValue::string("llama"));
    writer_.set(key::kGeneralName, GgufValue::string("sample"));
    writer_.set(arch_key("llama", key::kBlockCount), GgufValue::scalar(uint32_t{2}));
    writer_.set(arch_key("llama", key::kLayerNormRmsEpsilon), GgufValue::scalar(1e-5f));

    // One key per value type, with values at the edges of their ranges.
    writer_.set("test.u8", GgufValue::scalar(uint8_t{255}));
    writer_.set("test.i8", GgufValue::scalar(int8_t{-128}));
    writer_.set("test.u16", GgufValue::scalar(uint16_t{65535}));
    writer_.set("test.i16", GgufValue::scalar(int16_t{-32768}));
    writer_.set("test.u32", GgufValue::scalar(uint32_t{4294967295u}));
    writer_.set("test.i32", GgufValue::scalar(int32_t{-2147483647 - 1}));
    writer_.set("test.u64", GgufValue::scalar(std::numeric_limits<uint64_t>::max()));
    writer_.set("test.i64", GgufValue::scalar(std::numeric_limits<int64_t>::min()));
    writer_.set("test.f32", GgufValue::scalar(-0.15625f));
    writer_.set("test.f64", GgufValue::scalar(3.141592653589793));
    writer_.set("test.bool_true", GgufValue::scalar(true));
    writer_.set("test.bool_false", GgufValue::scalar(false));
    writer_.set("test.string", GgufValue::string("héllo, wörld"));
    writer_.set("test.empty_string", GgufValue::string(""));

    writer_.set("test.array.u8", GgufValue::array(std::vector<uint8_t>{0, 1, 255}));
    writer_.set("test.array.i8", GgufValue::array(std::vector<int8_t>{-128, 0, 127}));
    writer_.set("test.array.u16", GgufValue::array(std::vector<uint16_t>{1, 65535}));
    writer_.set("test.array.i16", GgufValue::array(std::vector<int16_t>{-32768, 32767}));
    writer_.set("test.array.u32", GgufValue::array(std::vector<uint32_t>{7, 4294967295u}));
    writer_.set("test.array.i32", GgufValue::array(std::vector<int32_t>{-1, 2, -3}));
    writer_.set("test.array.u64",
                GgufValue::array(std::vector<uint64_t>{0, std::numeric_limits<uint64_t>::max()}));
    writer_.set("test.array.i64",
                GgufValue::array(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), 5}));
    writer_.set("test.array.f32", GgufValue::array(std::vector<float>{0.5f, -2.0f, 1e-30f}));
    writer_.set("test.array.f64", GgufValue::array(std::vector<double>{1e300, -0.0}));
    writer_.set("test.array.bool", GgufValue::array(std::vector<bool>{true, false, true}));
    writer_.set("test.array.string", GgufValue::array(std::vector<std::string>{"<s>", "", "▁the"}));
    writer_.set("test.array.empty", GgufValue::array(std::vector<int32_t>{}));

    // Tensors of several types and ranks; shapes outermost first.
    add_tensor("token_embd.weight", DType::F32, {3, 8});
    add_tensor("output_norm.weight", DType::F32, {8});
    add_tensor("blk.0.attn_q.weight", DType::Q8_0, {2, 64});
    add_tensor("blk.0.ffn_up.weight", DType::Q4_K, {1, 256});
    add_tensor("blk.0.ffn_down.weight", DType::Q6_K, {1, 256});
    add_tensor("blk.1.attn_k.weight", DType::F16, {2, 3, 4});
    add_tensor("blk.1.attn_v.weight", DType::BF16, {1, 2, 2, 2});
    add_tensor("blk.1.attn_output.weight", DType::Q4_0, {1, 32});
}

void GgufSample::add_tensor(std::string name, DType dtype, std::vector<int64_t> shape) {
    int64_t elements = 1;
    for (int64_t dim : shape)
        elements *= dim;
    std::vector<std::byte> bytes(row_bytes(dtype, shape.back()) * size_t(elements / shape.back()));
    // Bytes that differ from tensor to tensor and position to position, so a misplaced tensor shows.
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = std::byte(uint8_t(i * 31 + tensor_bytes_.size() * 17 + 1));
    tensor_bytes_.push_back(std::move(bytes));
    writer_.add_tensor(StoredTensor{std::move(name), dtype, std::move(shape), tensor_bytes_.back()});
}

std::vector<std::byte> GgufSample::bytes() const {
    std::ostringstream out;
    writer_.write(out);
    const std::string text = out.str();
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return bytes;
}

}  // namespace loom::test
