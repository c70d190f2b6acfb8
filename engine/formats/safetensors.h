// Hugging Face safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
// {dtype, shape, data_offsets}, then the raw little-endian data. Models larger than one file are "sharded":
// model.safetensors.index.json maps each tensor name to its shard.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "formats/tensor_set.h"

namespace loom {

// Checks the header of a safetensors image in memory and adds its tensors to `into`. Every offset and
// size is validated against `bytes`; on failure throws Error naming `source` (the file name) and the fault.
void parse_safetensors(std::span<const std::byte> bytes, const std::string& source, TensorSet& into);

// Maps one safetensors file and adds its tensors (and the mapping) to `into`.
void read_safetensors_file(const std::filesystem::path& path, TensorSet& into);

// All tensors of a model folder: model.safetensors, or the shards listed in model.safetensors.index.json,
// or (for folders without either) every *.safetensors file.
TensorSet read_safetensors_folder(const std::filesystem::path& folder);

}  // namespace loom
