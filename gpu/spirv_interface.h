// What a compute shader expects from its caller, read from its SPIR-V: how many storage buffers it binds
// and how large its push-constant block is. Pipelines check these against what the C++ side declares, so a
// shader and its typed push-constant struct cannot drift apart unnoticed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace loom::gpu {

struct ShaderInterface {
    uint32_t bindings = 0;             // descriptor bindings 0 .. bindings-1 of set 0
    uint32_t push_constant_bytes = 0;  // 0 when the shader has no push constants
};

// Throws Error naming `shader` if the module is malformed or uses what Loom's kernels do not (descriptor
// sets other than 0, gaps between bindings, push constants that are not 32-bit scalars).
ShaderInterface read_shader_interface(std::span<const uint32_t> words, std::string_view shader);

}  // namespace loom::gpu
