#include "formats/gguf.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "formats/gguf_format.h"
#include "formats/gguf_keys.h"
#include "util/error.h"

namespace loom {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian machine");

namespace {

// The fewest bytes a metadata entry can take: key length (u64), value type (u32), a one-byte value.
constexpr uint64_t kMinEntryBytes = 8 + 4 + 1;
// The fewest bytes a tensor description can take: name length, n_dims, ggml type, offset.
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;

std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
    if (b > std::numeric_limits<uint64_t>::max() - a) return std::nullopt;
    return a + b;
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::nullopt;
    return a * b;
}

// Reads little-endian values front to back, checking every read against the end of the data. What is
// being read (`context`: "metadata key 'general.name'") goes into the message if the data ends early.
class ByteCursor {
  public:
    ByteCursor(std::span<const std::byte> bytes, const std::string& source)
        : bytes_(bytes), source_(source) {}

    uint64_t position() const { return position_; }
    uint64_t remaining() const { return bytes_.size() - position_; }
    void set_context(std::string context) { context_ = std::move(context); }
    const std::string& context() const { return context_; }

    template <class T>
    T read(std::string_view what) {
        need(sizeof(T), what);
        T value;
        std::memcpy(&value, bytes_.data() + position_, sizeof(T));
        position_ += sizeof(T);
        return value;
    }

    std::string read_string(std::string_view what) {
        uint64_t length = read<uint64_t>(what);
        if (length > remaining())
            fail(source_, ": ", what, " of ", context_, " claims ", length, " bytes at byte ", position_,
                 ", but only ", remaining(), " bytes are left in the file; the file is truncated or corrupt");
        std::string text(reinterpret_cast<const char*>(bytes_.data() + position_), length);
        position_ += length;
        return text;
    }

    // Refuses a count of items that cannot fit in what is left of the file, before anything is allocated
    // for them.
    void check_count(uint64_t count, uint64_t min_item_bytes, std::string_view items) const {
        if (count > remaining() / min_item_bytes)
            fail(source_, ": ", context_, " claims ", count, " ", items, ", but only ", remaining(),
                 " bytes are left in the file, room for at most ", remaining() / min_item_bytes,
                 "; the file is truncated or corrupt");
    }

  private:
    void need(uint64_t bytes, std::string_view what) const {
        if (bytes > remaining())
            fail(source_, ": the file ends (at ", bytes_.size(), " bytes) in the middle of ", what, " of ",
                 context_, ", which starts at byte ", position_, "; the file is truncated or corrupt");
    }

    std::span<const std::byte> bytes_;
    const std::string& source_;
    uint64_t position_ = 0;
    std::string context_ = "the header";
};

// Calls `visit(std::type_identity<T>{})` with the C++ type holding elements of the GGUF type `type`.
template <class Visitor>
GgufValue with_element_type(GgufValueType type, Visitor&& visit) {
    switch (type) {
        case GgufValueType::U8:
            return visit(std::type_identity<uint8_t>{});
        case GgufValueType::I8:
            return visit(std::type_identity<int8_t>{});
        case GgufValueType::U16:
            return visit(std::type_identity<uint16_t>{});
        case GgufValueType::I16:
            return visit(std::type_identity<int16_t>{});
        case GgufValueType::U32:
            return visit(std::type_identity<uint32_t>{});
        case GgufValueType::I32:
            return visit(std::type_identity<int32_t>{});
        case GgufValueType::U64:
            return visit(std::type_identity<uint64_t>{});
        case GgufValueType::I64:
            return visit(std::type_identity<int64_t>{});
        case GgufValueType::F32:
            return visit(std::type_identity<float>{});
        case GgufValueType::F64:
            return visit(std::type_identity<double>{});
        case GgufValueType::Bool:
            return visit(std::type_identity<bool>{});
        case GgufValueType::String:
            return visit(std::type_identity<std::string>{});
        case GgufValueType::Array:
            break;
    }
    fail("internal error: no element type for GGUF value type ", static_cast<uint32_t>(type));
}

// Everything the header and directory of a GGUF file say, checked.
struct ParsedGguf {
    uint32_t version = 0;
    uint64_t alignment = gguf::kDefaultAlignment;
    uint64_t data_offset = 0;
    GgufMetadata metadata;
    std::vector<StoredTensor> tensors;
};

// A tensor as the directory describes it, before its place in the file is checked.
struct TensorEntry {
    StoredTensor tensor;
    uint64_t offset = 0;  // from the start of the data section
    uint64_t bytes = 0;
};

class GgufParser {
  public:
    GgufParser(std::span<const std::byte> bytes, const std::string& source)
        : bytes_(bytes), source_(source), cursor_(bytes, source_) {}

    ParsedGguf parse() {
        ParsedGguf parsed;
        parsed.metadata = GgufMetadata(source_);
        parsed.version = read_header();
        uint64_t tensor_count = cursor_.read<uint64_t>("the tensor count");
        uint64_t entry_count = cursor_.read<uint64_t>("the metadata entry count");
        cursor_.check_count(entry_count, kMinEntryBytes, "metadata entries");
        for (uint64_t i = 0; i < entry_count; ++i)
            read_entry(i, parsed.metadata);
        parsed.alignment = alignment_of(parsed.metadata);

        cursor_.set_context("the tensor directory");
        cursor_.check_count(tensor_count, kMinTensorInfoBytes, "tensors");
        std::vector<TensorEntry> entries;
        entries.reserve(tensor_count);
        std::unordered_set<std::string> names;
        for (uint64_t i = 0; i < tensor_count; ++i) {
            entries.push_back(read_tensor_info(i, parsed.alignment));
            if (!names.insert(entries.back().tensor.name).second)
                fail(source_, ": tensor '", entries.back().tensor.name,
                     "' appears twice in the tensor directory");
        }

        uint64_t padding = (parsed.alignment - cursor_.position() % parsed.alignment) % parsed.alignment;
        auto data_offset = checked_add(cursor_.position(), padding);
        if (!data_offset) fail(source_, ": the data section's offset overflows");
        parsed.data_offset = *data_offset;
        place_tensors(entries, parsed.data_offset);
        for (TensorEntry& entry : entries)
            parsed.tensors.push_back(std::move(entry.tensor));
        return parsed;
    }

  private:
    uint32_t read_header() {
        static_assert(sizeof(gguf::kMagic) == 4);
        if (bytes_.size() < 4 || cursor_.read<uint32_t>("the magic number") != gguf::kMagic)
            fail(source_, " is not a GGUF file: it does not start with the bytes \"GGUF\"");
        uint32_t version = cursor_.read<uint32_t>("the version number");
        uint32_t swapped =
            (version >> 24) | ((version >> 8) & 0xff00) | ((version << 8) & 0xff0000) | (version << 24);
        if (version < gguf::kOldestReadableVersion && version != 0)
            fail(source_, " is a GGUF version ", version,
                 " file, an early draft of the format that Loom cannot ",
                 "read; convert it again with a current llama.cpp");
        if (version > gguf::kNewestReadableVersion && swapped >= gguf::kOldestReadableVersion &&
            swapped <= gguf::kNewestReadableVersion)
            fail(source_, " is a big-endian GGUF file; Loom reads only little-endian GGUF files");
        if (version < gguf::kOldestReadableVersion || version > gguf::kNewestReadableVersion)
            fail(source_, " has GGUF version ", version, "; Loom reads versions ",
                 gguf::kOldestReadableVersion, " and ", gguf::kNewestReadableVersion);
        return version;
    }

    void read_entry(uint64_t index, GgufMetadata& metadata) {
        cursor_.set_context(cat("metadata entry ", index));
        std::string key = cursor_.read_string("the key");
        cursor_.set_context(cat("metadata key '", key, "'"));
        if (metadata.contains(key)) fail(source_, ": metadata key '", key, "' appears twice");
        GgufValueType type = read_value_type("the value type");
        GgufValue value = type == GgufValueType::Array ? read_array() : read_scalar(type);
        metadata.set(std::move(key), std::move(value));
    }

    GgufValueType read_value_type(std::string_view what) {
        uint32_t code = cursor_.read<uint32_t>(what);
        if (code > kLastGgufValueType)
            fail(source_, ": ", cursor_.context(), " has value type ", code,
                 ", which is not a GGUF value type (0 to ", kLastGgufValueType, ")");
        return static_cast<GgufValueType>(code);
    }

    GgufValue read_scalar(GgufValueType type) {
        return with_element_type(type, [&](auto element) {
            using T = typename decltype(element)::type;
            return GgufValue::scalar(read_element<T>());
        });
    }

    GgufValue read_array() {
        GgufValueType type = read_value_type("the array's element type");
        if (type == GgufValueType::Array)
            fail(source_, ": ", cursor_.context(), " is an array of arrays, which Loom does not read");
        uint64_t count = cursor_.read<uint64_t>("the array's length");
        return with_element_type(type, [&](auto element) {
            using T = typename decltype(element)::type;
            // A string takes at least its 8-byte length; other elements their own size.
            constexpr uint64_t kMinBytes = std::is_same_v<T, std::string> ? 8 : sizeof(T);
            cursor_.check_count(count, kMinBytes, cat(gguf_value_type_name(type), " array elements"));
            std::vector<T> items;
            items.reserve(count);
            for (uint64_t i = 0; i < count; ++i)
                items.push_back(read_element<T>());
            return GgufValue::array(std::move(items));
        });
    }

    template <class T>
    T read_element() {
        if constexpr (std::is_same_v<T, std::string>) {
            return cursor_.read_string("a string");
        } else if constexpr (std::is_same_v<T, bool>) {
            uint8_t byte = cursor_.read<uint8_t>("a bool");
            if (byte > 1)
                fail(source_, ": ", cursor_.context(), " holds a bool stored as ", +byte, " at byte ",
                     cursor_.position() - 1, "; a GGUF bool is 0 or 1");
            return byte == 1;
        } else {
            return cursor_.read<T>("a number");
        }
    }

    uint64_t alignment_of(const GgufMetadata& metadata) const {
        auto alignment = metadata.get_uint(gguf::key::kGeneralAlignment);
        if (!alignment) return gguf::kDefaultAlignment;
        if (!std::has_single_bit(*alignment))
            fail(source_, ": ", gguf::key::kGeneralAlignment, " is ", *alignment,
                 ", which is not a power of two; the file is corrupt");
        return *alignment;
    }

    TensorEntry read_tensor_info(uint64_t index, uint64_t alignment) {
        cursor_.set_context(cat("tensor ", index, " in the directory"));
        TensorEntry entry;
        StoredTensor& tensor = entry.tensor;
        tensor.name = cursor_.read_string("the name");
        cursor_.set_context(cat("tensor '", tensor.name, "'"));

        uint32_t n_dims = cursor_.read<uint32_t>("the number of dimensions");
        if (n_dims > gguf::kMaxDims)
            fail(source_, ": tensor '", tensor.name, "' has ", n_dims, " dimensions; GGUF allows at most ",
                 gguf::kMaxDims);
        // GGUF lists dimensions innermost first (ne[0] is the row length); StoredTensor wants outermost
        // first.
        std::vector<uint64_t> dims(n_dims);
        for (uint64_t& dim : dims)
            dim = cursor_.read<uint64_t>("a dimension");
        uint64_t elements = 1;
        for (uint64_t dim : dims) {
            auto product = checked_mul(elements, dim);
            if (dim > uint64_t(std::numeric_limits<int64_t>::max()) || !product ||
                *product > uint64_t(std::numeric_limits<int64_t>::max()))
                fail(source_, ": tensor '", tensor.name, "' has dimensions ", format_dims(dims),
                     " whose number of elements overflows; the file is corrupt");
            elements = *product;
        }
        tensor.shape.assign(dims.rbegin(), dims.rend());

        uint32_t type_id = cursor_.read<uint32_t>("the ggml type");
        const gguf::GgmlType* type = gguf::find_ggml_type(type_id);
        if (!type)
            fail(source_, ": tensor '", tensor.name, "' has ggml type id ", type_id,
                 ", which is not a known ggml type; the file is corrupt or newer than Loom");
        if (!type->dtype)
            fail(source_, ": tensor '", tensor.name, "' is stored as ", type->name, " (ggml type ", type_id,
                 "), which Loom does not support; use a file quantized as F32, F16, BF16, Q8_0, Q4_0, Q4_1, "
                 "Q5_0, Q5_1 or a K-quant (Q2_K to Q6_K)");
        tensor.dtype = *type->dtype;
        entry.bytes = tensor_bytes(tensor, dims, elements);

        entry.offset = cursor_.read<uint64_t>("the data offset");
        if (entry.offset % alignment != 0)
            fail(source_, ": tensor '", tensor.name, "' starts at offset ", entry.offset,
                 " of the data section, which is not a multiple of the alignment ", alignment,
                 "; the file is corrupt");
        return entry;
    }

    // The bytes a tensor takes, after checking that its rows are whole blocks of its type.
    uint64_t tensor_bytes(const StoredTensor& tensor, const std::vector<uint64_t>& dims, uint64_t elements) {
        if (elements == 0) return 0;
        const DTypeInfo& info = dtype_info(tensor.dtype);
        uint64_t row_length = dims.empty() ? 1 : dims[0];
        if (row_length % uint64_t(info.block_elements) != 0)
            fail(source_, ": tensor '", tensor.name, "' has rows of ", row_length,
                 " elements, which is not a ", "whole number of ", info.name, " blocks of ",
                 info.block_elements, " elements");
        uint64_t blocks = elements / uint64_t(info.block_elements);
        auto bytes = checked_mul(blocks, info.block_bytes);
        if (!bytes)
            fail(source_, ": tensor '", tensor.name, "' has dimensions ", format_dims(dims),
                 " whose size in bytes overflows; the file is corrupt");
        return *bytes;
    }

    // Checks that every tensor lies inside the file and that no two overlap, then points them at their bytes.
    void place_tensors(std::vector<TensorEntry>& entries, uint64_t data_offset) {
        for (TensorEntry& entry : entries) {
            auto begin = checked_add(data_offset, entry.offset);
            std::optional<uint64_t> end;
            if (begin) end = checked_add(*begin, entry.bytes);
            if (!end || *end > bytes_.size())
                fail(source_, ": tensor '", entry.tensor.name, "' (", entry.bytes, " bytes at offset ",
                     entry.offset, " of the data section, which starts at byte ", data_offset,
                     ") runs past the end of the file (", bytes_.size(),
                     " bytes); the file is truncated or corrupt");
            entry.tensor.data = bytes_.subspan(*begin, entry.bytes);
        }

        std::vector<const TensorEntry*> by_offset;
        for (const TensorEntry& entry : entries)
            if (entry.bytes > 0) by_offset.push_back(&entry);
        std::sort(by_offset.begin(), by_offset.end(),
                  [](const TensorEntry* a, const TensorEntry* b) { return a->offset < b->offset; });
        for (size_t i = 1; i < by_offset.size(); ++i) {
            const TensorEntry& previous = *by_offset[i - 1];
            const TensorEntry& next = *by_offset[i];
            if (previous.offset + previous.bytes > next.offset)
                fail(source_, ": tensors '", previous.tensor.name, "' (data offsets ", previous.offset,
                     " to ", previous.offset + previous.bytes, ") and '", next.tensor.name, "' (from ",
                     next.offset, ") overlap; the file is corrupt");
        }
    }

    static std::string format_dims(const std::vector<uint64_t>& dims) {
        std::string text = "[";
        for (size_t i = 0; i < dims.size(); ++i)
            text += cat(i ? ", " : "", dims[i]);
        return text + "] (innermost first)";
    }

    std::span<const std::byte> bytes_;
    const std::string& source_;
    ByteCursor cursor_;
};

}  // namespace

GgufFile GgufFile::open(const std::string& path) {
    auto file = std::make_shared<const MappedFile>(path);
    return GgufFile(file, file->bytes(), path);
}

GgufFile GgufFile::parse(std::span<const std::byte> bytes, std::string source) {
    return GgufFile(nullptr, bytes, std::move(source));
}

GgufFile::GgufFile(std::shared_ptr<const MappedFile> file, std::span<const std::byte> bytes,
                   std::string source)
    : file_(std::move(file)), bytes_(bytes) {
    ParsedGguf parsed = GgufParser(bytes, source).parse();
    version_ = parsed.version;
    alignment_ = parsed.alignment;
    data_offset_ = parsed.data_offset;
    metadata_ = std::move(parsed.metadata);
    tensors_ = std::move(parsed.tensors);
}

uint64_t GgufFile::file_offset(const StoredTensor& tensor) const {
    return static_cast<uint64_t>(tensor.data.data() - bytes_.data());
}

TensorSet GgufFile::tensor_set() const {
    TensorSet set;
    if (file_) set.add_file(file_);
    for (const StoredTensor& tensor : tensors_)
        set.add(tensor);
    return set;
}

}  // namespace loom
