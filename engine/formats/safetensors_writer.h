// Writing safetensors files (F32, F16, BF16), streaming each tensor's bytes from a callback so that a
// multi-gigabyte file never has to be in memory at once.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace loom {

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;  // outermost first
    // Fills the tensor's bytes (already sized: elements * element size).
    std::function<void(std::span<std::byte> out)> fill;
};

// Throws Error if the file cannot be written or a tensor has a type safetensors cannot hold.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors);

}  // namespace loom
