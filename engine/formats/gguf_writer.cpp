#include "formats/gguf_writer.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <ostream>
#include <system_error>
#include <type_traits>
#include <unordered_set>

#include "formats/gguf_format.h"
#include "formats/gguf_keys.h"
#include "util/error.h"

namespace loom {

static_assert(std::endian::native == std::endian::little, "the GGUF writer assumes a little-endian machine");

namespace {

// Writes little-endian values to a stream and counts the bytes written, for padding.
class ByteWriter {
  public:
    explicit ByteWriter(std::ostream& out) : out_(out) {}

    uint64_t position() const { return position_; }

    void bytes(const void* data, size_t size) {
        out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
        position_ += size;
    }

    template <class T>
    void number(T value) {
        static_assert(std::is_arithmetic_v<T>);
        bytes(&value, sizeof(T));
    }

    void string(std::string_view text) {
        number(uint64_t{text.size()});
        bytes(text.data(), text.size());
    }

    // One element of a metadata value, in its GGUF encoding.
    template <class T>
    void element(const T& value) {
        if constexpr (std::is_same_v<T, std::string>)
            string(value);
        else if constexpr (std::is_same_v<T, bool>)
            number(uint8_t{value ? uint8_t{1} : uint8_t{0}});
        else
            number(value);
    }

    void pad_to(uint64_t alignment) {
        static constexpr char kZeros[64] = {};
        uint64_t padding = (alignment - position_ % alignment) % alignment;
        while (padding > 0) {
            uint64_t chunk = std::min<uint64_t>(padding, sizeof(kZeros));
            bytes(kZeros, chunk);
            padding -= chunk;
        }
    }

  private:
    std::ostream& out_;
    uint64_t position_ = 0;
};

void write_value(ByteWriter& writer, const GgufValue& value) {
    writer.number(static_cast<uint32_t>(value.type()));
    std::visit(
        [&](const auto& items) {
            using T = typename std::decay_t<decltype(items)>::value_type;
            if (value.is_array()) {
                writer.number(static_cast<uint32_t>(value.element_type()));
                writer.number(uint64_t{items.size()});
            }
            for (const auto& item : items)
                writer.element<T>(item);
        },
        value.elements());
}

uint64_t padded(uint64_t size, uint64_t alignment) {
    return (size + alignment - 1) / alignment * alignment;
}

}  // namespace

void GgufWriter::set_alignment(uint32_t alignment) {
    if (!std::has_single_bit(alignment)) fail("GGUF alignment ", alignment, " is not a power of two");
    set(gguf::key::kGeneralAlignment, GgufValue::scalar(alignment));
}

uint64_t GgufWriter::alignment() const {
    const GgufValue* value = metadata_.find(gguf::key::kGeneralAlignment);
    if (!value) return gguf::kDefaultAlignment;
    // llama.cpp reads general.alignment only as a uint32.
    const auto* items = std::get_if<std::vector<uint32_t>>(&value->elements());
    if (!items || value->is_array() || !std::has_single_bit(items->front()))
        fail("cannot write GGUF: ", gguf::key::kGeneralAlignment, " must be a uint32 power of two, not ",
             value->describe());
    return items->front();
}

void GgufWriter::add_tensor(StoredTensor tensor) {
    const std::string& name = tensor.name;
    if (name.empty() || name.size() > gguf::kMaxTensorNameBytes)
        fail("cannot write tensor '", name, "' to GGUF: names must be 1 to ", gguf::kMaxTensorNameBytes,
             " bytes long");
    for (const StoredTensor& other : tensors_)
        if (other.name == name) fail("cannot write tensor '", name, "' to GGUF twice");
    if (tensor.shape.empty() || tensor.shape.size() > gguf::kMaxDims)
        fail("cannot write tensor '", name, "' to GGUF: it has ", tensor.shape.size(),
             " dimensions; GGUF allows 1 to ", gguf::kMaxDims);
    int64_t elements = 1;
    for (int64_t dim : tensor.shape) {
        if (dim < 0 || (dim > 0 && elements > std::numeric_limits<int64_t>::max() / dim))
            fail("cannot write tensor '", name, "' to GGUF: dimension ", dim, " is negative or too large");
        elements *= dim;
    }
    const DTypeInfo& info = dtype_info(tensor.dtype);
    int64_t row_length = tensor.shape.back();
    if (!row_fits_blocks(tensor.dtype, row_length))
        fail("cannot write tensor '", name, "' as ", info.name, ": its rows of ", row_length,
             " elements are not a whole number of blocks of ", info.block_elements);
    uint64_t blocks = uint64_t(elements / info.block_elements);
    if (blocks > std::numeric_limits<size_t>::max() / info.block_bytes)
        fail("cannot write tensor '", name, "': its size in bytes overflows");
    size_t expected = blocks * info.block_bytes;
    if (tensor.data.size() != expected)
        fail("cannot write tensor '", name, "': its shape and type ", info.name, " need ", expected,
             " bytes, but it has ", tensor.data.size());
    tensors_.push_back(std::move(tensor));
}

void GgufWriter::write(std::ostream& out) const {
    const uint64_t align = alignment();
    ByteWriter writer(out);
    writer.number(gguf::kMagic);
    writer.number(gguf::kWrittenVersion);
    writer.number(uint64_t{tensors_.size()});
    writer.number(uint64_t{metadata_.size()});

    for (const auto& [key, value] : metadata_.entries()) {
        writer.string(key);
        write_value(writer, value);
    }

    // The directory: dimensions innermost first (the reverse of StoredTensor.shape), offsets from the start
    // of the data section, each tensor starting on an alignment boundary.
    uint64_t offset = 0;
    for (const StoredTensor& tensor : tensors_) {
        writer.string(tensor.name);
        writer.number(static_cast<uint32_t>(tensor.shape.size()));
        for (auto dim = tensor.shape.rbegin(); dim != tensor.shape.rend(); ++dim)
            writer.number(static_cast<uint64_t>(*dim));
        writer.number(gguf::ggml_type_id(tensor.dtype));
        writer.number(offset);
        offset += padded(tensor.data.size(), align);
    }

    writer.pad_to(align);
    for (const StoredTensor& tensor : tensors_) {
        writer.bytes(tensor.data.data(), tensor.data.size());
        writer.pad_to(align);
    }
    if (!out) fail("the output stream failed while writing GGUF data");
}

void GgufWriter::write_file(const std::string& path) const {
    alignment();  // refuse a bad general.alignment before creating anything
    const std::string partial = path + ".partial";
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create ", partial, ": ", std::strerror(errno));
    try {
        write(out);
        out.close();
        if (!out) fail("closing the file failed");
    } catch (const Error& error) {
        out.close();
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        fail("cannot write ", path, ": ", error.what(), " (is the disk full?)");
    }
    std::error_code error;
    std::filesystem::rename(partial, path, error);
    if (error) {
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        fail("cannot rename ", partial, " to ", path, ": ", error.message());
    }
}

}  // namespace loom
