// The SPIR-V of every shader variant, compiled from shaders/ at build time (the list is in CMakeLists.txt).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace loom::gpu {

// The words of the variant called `name` ("matvec_f16_sg"), or an empty span if it was not built.
std::span<const uint32_t> find_shader(std::string_view name);

}  // namespace loom::gpu
