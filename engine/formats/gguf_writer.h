// Writes GGUF version 3 files (gguf_format.h describes the layout) that llama.cpp and other GGUF readers
// open: metadata of any value type and tensors of any DType, each tensor's bytes aligned and padded.
//
//     GgufWriter writer;
//     writer.set(gguf::key::kGeneralArchitecture, GgufValue::string("llama"));
//     writer.set(gguf::arch_key("llama", gguf::key::kBlockCount), GgufValue::scalar(uint32_t{5}));
//     writer.add_tensor(tensor);  // a StoredTensor: name, dtype, shape outermost first, bytes
//     writer.write_file("model-q8_0.gguf");
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf_value.h"
#include "formats/tensor_set.h"

namespace loom {

class GgufWriter {
  public:
    GgufWriter() : metadata_("the GGUF being written") {}

    // Adds a metadata entry, or replaces its value (keeping its place). Entries are written in the order
    // they were first set.
    void set(std::string_view key, GgufValue value) { metadata_.set(std::string(key), std::move(value)); }
    const GgufMetadata& metadata() const { return metadata_; }
    // Sets general.alignment: a power of two. Without it tensors are aligned to 32 bytes.
    void set_alignment(uint32_t alignment);

    // Adds a tensor after checking its name (unique, at most 63 bytes), its shape (1 to 4 dimensions, rows a
    // whole number of blocks) and that its bytes have exactly the size its shape and type need. The bytes
    // are not copied: they must stay valid until the file is written.
    void add_tensor(StoredTensor tensor);
    const std::vector<StoredTensor>& tensors() const { return tensors_; }

    // Writes the whole file to `out`. Throws Error if the stream fails.
    void write(std::ostream& out) const;
    // Writes to "<path>.partial" and renames it to `path` once complete, so that a failed write never
    // leaves a truncated file under the final name.
    void write_file(const std::string& path) const;

  private:
    uint64_t alignment() const;

    GgufMetadata metadata_;
    std::vector<StoredTensor> tensors_;
};

}  // namespace loom
