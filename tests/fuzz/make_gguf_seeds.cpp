// Writes the seed corpus for fuzz_gguf into a folder: small valid GGUF files that reach every part of the
// reader. Usage: make_gguf_seeds <output folder> <path of tests/data/models/stories260K.gguf>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_sample.h"
#include "formats/gguf_writer.h"
#include "util/error.h"

using namespace loom;

namespace {

void save(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) fail("cannot write ", path.string());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <output folder> <stories260K.gguf>\n", argv[0]);
        return 2;
    }
    try {
        const std::filesystem::path folder = argv[1];
        std::filesystem::create_directories(folder);

        // Metadata of every value type, tensors of several types and ranks.
        std::vector<std::byte> sample = test::GgufSample().bytes();
        save(folder / "sample.gguf", sample);
        save(folder / "sample_align64.gguf", test::GgufSample(64).bytes());
        // The same as a version 2 file (the version is the u32 after the magic).
        sample[4] = std::byte{2};
        save(folder / "sample_v2.gguf", sample);

        // A real model's metadata (tokenizer arrays included) with its two smallest tensors: the whole
        // model would make every fuzz input a megabyte long.
        GgufFile stories = GgufFile::open(argv[2]);
        GgufWriter writer;
        for (const auto& [key, value] : stories.metadata().entries())
            writer.set(key, value);
        writer.add_tensor(*stories.tensor_set().find("output_norm.weight"));
        writer.add_tensor(*stories.tensor_set().find("blk.0.attn_norm.weight"));
        writer.write_file((folder / "stories260K_metadata.gguf").string());
    } catch (const Error& error) {
        std::fprintf(stderr, "make_gguf_seeds: %s\n", error.what());
        return 1;
    }
    return 0;
}
