#include "formats/safetensors_writer.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace loom {

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors) {
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}};
    std::vector<size_t> sizes;
    size_t offset = 0;
    for (const TensorToWrite& t : tensors) {
        if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16)
            fail("safetensors cannot hold ", dtype_name(t.dtype), " tensors (", t.name, "): use GGUF");
        size_t elements = 1;
        for (int64_t d : t.shape)
            elements *= static_cast<size_t>(d);
        size_t bytes = elements * dtype_info(t.dtype).block_bytes;
        header[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + bytes}}};
        sizes.push_back(bytes);
        offset += bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned

    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot write ", path.string());
    uint64_t length = text.size();
    char prefix[8];
    for (int i = 0; i < 8; ++i)
        prefix[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    out.write(prefix, 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::vector<std::byte> buffer;
    for (size_t i = 0; i < tensors.size(); ++i) {
        buffer.assign(sizes[i], std::byte{0});
        tensors[i].fill(buffer);
        out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
    }
    if (!out) fail("writing ", path.string(), " failed (disk full?)");
}

}  // namespace loom
