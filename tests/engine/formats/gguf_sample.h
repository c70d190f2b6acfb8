// A small GGUF file built with GgufWriter: metadata of every value type (scalars and arrays, including an
// empty array and an array of strings) and tensors of several types and ranks. Shared by the GGUF tests and
// the fuzzer's seed corpus.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/gguf_writer.h"

namespace loom::test {

class GgufSample {
  public:
    explicit GgufSample(uint32_t alignment = 32);
    GgufSample(const GgufSample&) = delete;  // the writer points into this object's buffers
    GgufSample& operator=(const GgufSample&) = delete;

    // The writer holding the sample's metadata and tensors (whose bytes live in this object).
    const GgufWriter& writer() const { return writer_; }
    // The encoded file.
    std::vector<std::byte> bytes() const;

  private:
    void add_tensor(std::string name, DType dtype, std::vector<int64_t> shape);

    // One buffer per tensor. Growing the outer vector moves the inner ones, which keeps their buffers, so the
    // writer's spans stay valid.
    std::vector<std::vector<std::byte>> tensor_bytes_;
    GgufWriter writer_;
};

}  // namespace loom::test
