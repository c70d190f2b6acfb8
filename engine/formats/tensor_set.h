// The tensors of a model as stored on disk, whatever the file format: names, types, shapes and bytes that
// point into memory-mapped files. Safetensors (one file or shards) and GGUF both produce a TensorSet.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tensor/dtype.h"
#include "util/mapped_file.h"

namespace loom {

struct StoredTensor {
    std::string name;  // as in the file: "model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight"
    DType dtype = DType::F32;
    std::vector<int64_t>
        shape;  // outermost first, as safetensors and PyTorch write it: [out_features, in_features]
    std::span<const std::byte> data;  // exactly the tensor's bytes, inside one of the set's mapped files

    int64_t elements() const {
        int64_t n = 1;
        for (int64_t d : shape)
            n *= d;
        return n;
    }
};

// "[896, 4864]": a shape as error messages and listings print it.
std::string shape_text(const std::vector<int64_t>& shape);

class TensorSet {
  public:
    // Takes ownership of the file the tensors point into.
    void add_file(std::shared_ptr<const MappedFile> file) { files_.push_back(std::move(file)); }
    // Throws Error if a tensor of the same name is already there.
    void add(StoredTensor tensor);

    const StoredTensor* find(std::string_view name) const;

    // Tensors the file holds in a type Loom does not compute with (I64 buffers, BOOL masks...). They are
    // not an error unless a model needs them; then the error names the type.
    void add_skipped(std::string name, std::string type) {
        skipped_.emplace(std::move(name), std::move(type));
    }
    const std::string* skipped_type(std::string_view name) const;
    const std::vector<StoredTensor>& all() const { return tensors_; }
    // Keeps the mapped files alive for as long as the holder of this pointer needs the tensor bytes.
    const std::vector<std::shared_ptr<const MappedFile>>& files() const { return files_; }
    uint64_t total_bytes() const;

  private:
    std::vector<std::shared_ptr<const MappedFile>> files_;
    std::vector<StoredTensor> tensors_;
    std::unordered_map<std::string, size_t> index_;
    std::unordered_map<std::string, std::string> skipped_;
};

}  // namespace loom
