#include "formats/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "util/error.h"

namespace loom {

namespace {

using nlohmann::json;

// A header bigger than this is not a real model's (the largest are a few MB); refusing it avoids parsing
// garbage lengths as JSON.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

std::optional<DType> dtype_from_safetensors(const std::string& name) {
    if (name == "F32") return DType::F32;
    if (name == "F16") return DType::F16;
    if (name == "BF16") return DType::BF16;
    return std::nullopt;
}

// Bytes per element of the types safetensors defines that Loom does not compute with.
uint64_t other_dtype_size(const std::string& name) {
    if (name == "F64" || name == "I64" || name == "U64") return 8;
    if (name == "I32" || name == "U32") return 4;
    if (name == "I16" || name == "U16") return 2;
    if (name == "I8" || name == "U8" || name == "BOOL" || name == "F8_E4M3" || name == "F8_E5M2") return 1;
    return 0;
}

uint64_t json_uint(const json& value, const std::string& what) {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0))
        fail(what, " must be a non-negative integer");
    return value.get<uint64_t>();
}

}  // namespace

void parse_safetensors(std::span<const std::byte> bytes, const std::string& source, TensorSet& into) {
    if (bytes.size() < 8)
        fail(source, ": file too short for a safetensors header (", bytes.size(), " bytes)");
    uint64_t header_bytes = 0;
    for (int i = 7; i >= 0; --i)
        header_bytes = (header_bytes << 8) | static_cast<uint8_t>(bytes[size_t(i)]);
    if (header_bytes > bytes.size() - 8)
        fail(source, ": header length ", header_bytes, " runs past the end of the file (", bytes.size(),
             " bytes): the file is truncated or not safetensors");
    if (header_bytes > kMaxHeaderBytes)
        fail(source, ": header length ", header_bytes, " is implausibly large");

    const char* header_text = reinterpret_cast<const char*>(bytes.data() + 8);
    json header = json::parse(header_text, header_text + header_bytes, nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded()) fail(source, ": the header is not valid JSON");
    if (!header.is_object()) fail(source, ": the header is not a JSON object");

    std::span<const std::byte> data = bytes.subspan(8 + header_bytes);
    struct Range {
        uint64_t begin, end;
        std::string name;
    };
    std::vector<Range> ranges;

    for (auto& [name, entry] : header.items()) {
        if (name == "__metadata__") continue;
        std::string where = source + ": tensor '" + name + "'";
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
            !entry.contains("data_offsets"))
            fail(where, " must have dtype, shape and data_offsets");
        if (!entry["dtype"].is_string()) fail(where, ": dtype must be a string");
        const json& shape_json = entry["shape"];
        const json& offsets = entry["data_offsets"];
        if (!shape_json.is_array() || shape_json.size() > 8)
            fail(where, ": shape must be an array of at most 8 sizes");
        if (!offsets.is_array() || offsets.size() != 2) fail(where, ": data_offsets must be [begin, end]");

        StoredTensor tensor;
        tensor.name = name;
        std::string dtype_text = entry["dtype"].get<std::string>();
        std::optional<DType> dtype = dtype_from_safetensors(dtype_text);
        uint64_t element_bytes = dtype ? dtype_info(*dtype).block_bytes : other_dtype_size(dtype_text);
        if (element_bytes == 0) fail(where, ": unknown dtype '", dtype_text, "'");
        uint64_t elements = 1;
        for (const json& d : shape_json) {
            uint64_t size = json_uint(d, where + " shape");
            if (size != 0 && elements > std::numeric_limits<uint64_t>::max() / 8 / size)
                fail(where, ": shape is too large");
            elements *= size;
            tensor.shape.push_back(static_cast<int64_t>(size));
        }
        uint64_t begin = json_uint(offsets[0], where + " data_offsets");
        uint64_t end = json_uint(offsets[1], where + " data_offsets");
        if (begin > end || end > data.size())
            fail(where, ": data_offsets [", begin, ", ", end, "] lie outside the ", data.size(),
                 " bytes of data: the file is truncated or corrupt");
        uint64_t expected = elements * element_bytes;
        if (end - begin != expected)
            fail(where, ": holds ", end - begin, " bytes but its shape and dtype need ", expected);
        ranges.push_back({begin, end, name});
        if (!dtype) {
            into.add_skipped(name, dtype_text);
            continue;
        }
        tensor.dtype = *dtype;
        tensor.data = data.subspan(begin, end - begin);
        into.add(std::move(tensor));
    }

    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].begin < ranges[i - 1].end)
            fail(source, ": tensors '", ranges[i - 1].name, "' and '", ranges[i].name,
                 "' overlap in the file");
}

void read_safetensors_file(const std::filesystem::path& path, TensorSet& into) {
    auto file = std::make_shared<const MappedFile>(path.string());
    parse_safetensors(file->bytes(), path.string(), into);
    into.add_file(std::move(file));
}

TensorSet read_safetensors_folder(const std::filesystem::path& folder) {
    namespace fs = std::filesystem;
    TensorSet set;
    fs::path single = folder / "model.safetensors";
    fs::path index = folder / "model.safetensors.index.json";
    if (fs::exists(index)) {
        std::ifstream in(index);
        json index_json = json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (index_json.is_discarded() || !index_json.contains("weight_map") ||
            !index_json["weight_map"].is_object())
            fail(index.string(), ": not a valid index (no weight_map object)");
        std::set<std::string> shards;
        for (auto& [tensor, shard] : index_json["weight_map"].items()) {
            if (!shard.is_string()) fail(index.string(), ": the shard of '", tensor, "' is not a file name");
            std::string name = shard.get<std::string>();
            if (name.find('/') != std::string::npos || name == "..")
                fail(index.string(), ": shard name '", name, "' must be a file in the same folder");
            shards.insert(name);
        }
        for (const std::string& shard : shards) {
            if (!fs::exists(folder / shard))
                fail("shard ", shard, " listed in ", index.string(),
                     " is missing: the download is incomplete");
            read_safetensors_file(folder / shard, set);
        }
        for (auto& [tensor, shard] : index_json["weight_map"].items())
            if (!set.find(tensor))
                fail(index.string(), " says '", tensor, "' is in ", shard.get<std::string>(),
                     ", but it is not");
    } else if (fs::exists(single)) {
        read_safetensors_file(single, set);
    } else {
        std::vector<fs::path> files;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(folder, ec))
            if (entry.path().extension() == ".safetensors") files.push_back(entry.path());
        if (files.empty()) fail("no .safetensors files in ", folder.string());
        std::sort(files.begin(), files.end());
        for (const auto& f : files)
            read_safetensors_file(f, set);
    }
    return set;
}

}  // namespace loom
