// The fixed parts of the GGUF container format, shared by the reader (gguf.h) and the writer
// (gguf_writer.h). The format is described in ggml's docs/gguf.md:
//
//   header     magic "GGUF", version (u32), tensor count (u64), metadata key/value count (u64)
//   metadata   key (string), value type (u32), value        ... repeated
//   tensors    name (string), n_dims (u32), dims (u64 each, innermost first), ggml type (u32),
//              offset (u64, from the start of the data section, a multiple of the alignment)
//   padding    up to the alignment
//   data       the tensors' bytes, each padded to the alignment
//
// Strings are a u64 byte length followed by UTF-8 bytes without a terminating zero. Everything is
// little-endian (version 3 allows big-endian files; Loom refuses them with a clear message).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tensor/dtype.h"

namespace loom::gguf {

inline constexpr uint32_t kMagic = 0x46554747;         // the bytes "GGUF" read as a little-endian u32
inline constexpr uint32_t kOldestReadableVersion = 2;  // version 1 used 32-bit counts and lengths
inline constexpr uint32_t kNewestReadableVersion = 3;
inline constexpr uint32_t kWrittenVersion = 3;
inline constexpr uint64_t kDefaultAlignment = 32;  // when the file has no general.alignment
inline constexpr uint32_t kMaxDims = 4;            // ggml tensors have at most 4 dimensions
// ggml keeps tensor names in a 64-byte buffer with a terminating zero; longer names break llama.cpp.
inline constexpr size_t kMaxTensorNameBytes = 63;

// One entry of ggml's tensor type enumeration. Types Loom cannot compute with are listed too, so that a
// file using them is refused by name ("IQ2_XS is not supported") rather than as an unknown number.
struct GgmlType {
    uint32_t id;
    std::string_view name;
    std::optional<DType> dtype;  // empty: a ggml type Loom does not support
};

// The entry for a ggml type id, or nullptr if the id is not a ggml type at all.
const GgmlType* find_ggml_type(uint32_t id);
// The ggml type id Loom writes for `dtype`; every DType has one.
uint32_t ggml_type_id(DType dtype);

}  // namespace loom::gguf
