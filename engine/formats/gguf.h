// Reads GGUF files, versions 2 and 3 (gguf_format.h describes the layout): the metadata, the tensor
// directory and, through a memory map, the tensors' bytes, which are never copied.
//
// Everything in the file is treated as untrusted: every count, length, shape and offset is checked against
// the file's size before it is used, and anything wrong is reported as an Error that names the file, the
// key or tensor, and the numbers involved.
//
//     GgufFile gguf = GgufFile::open("stories260K.gguf");
//     uint64_t layers = gguf.metadata().require_uint(gguf::arch_key("llama", gguf::key::kBlockCount));
//     TensorSet tensors = gguf.tensor_set();  // for the model loader
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "formats/gguf_value.h"
#include "formats/tensor_set.h"
#include "util/mapped_file.h"

namespace loom {

class GgufFile {
  public:
    // Maps the file at `path` and parses it.
    static GgufFile open(const std::string& path);
    // Parses a GGUF image held in memory. The tensors point into `bytes`, so the caller keeps them alive
    // for as long as the GgufFile and anything made from it. `source` names the data in error messages.
    static GgufFile parse(std::span<const std::byte> bytes, std::string source = "GGUF data");

    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }  // where the tensor data section starts
    const GgufMetadata& metadata() const { return metadata_; }
    // In file order, shapes outermost first (GGUF stores them innermost first).
    const std::vector<StoredTensor>& tensors() const { return tensors_; }
    // Where a tensor's bytes start, counted from the start of the file.
    uint64_t file_offset(const StoredTensor& tensor) const;
    // The whole file.
    std::span<const std::byte> bytes() const { return bytes_; }
    const std::string& source() const { return metadata_.source(); }

    // The tensors as the model loader takes them. The set holds the memory map (when the file was opened
    // from a path), so it stays valid after this GgufFile is gone.
    TensorSet tensor_set() const;

  private:
    GgufFile(std::shared_ptr<const MappedFile> file, std::span<const std::byte> bytes, std::string source);

    std::shared_ptr<const MappedFile> file_;  // null when parsed from memory
    std::span<const std::byte> bytes_;
    uint32_t version_ = 0;
    uint64_t alignment_ = 0;
    uint64_t data_offset_ = 0;
    GgufMetadata metadata_;
    std::vector<StoredTensor> tensors_;
};

}  // namespace loom
