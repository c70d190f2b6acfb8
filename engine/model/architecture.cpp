#include "model/architecture.h"

#include <algorithm>
#include <array>

namespace loom {

extern const Architecture kLlamaArchitecture;
extern const Architecture kQwen2Architecture;

std::span<const Architecture* const> architectures() {
    static const std::array<const Architecture*, 2> all = {&kLlamaArchitecture, &kQwen2Architecture};
    return all;
}

const Architecture* find_architecture_by_hf_type(std::string_view model_type) {
    for (const Architecture* arch : architectures())
        if (std::find(arch->hf_model_types.begin(), arch->hf_model_types.end(), model_type) !=
            arch->hf_model_types.end())
            return arch;
    return nullptr;
}

const Architecture* find_architecture_by_gguf_name(std::string_view name) {
    for (const Architecture* arch : architectures())
        if (arch->gguf_name == name) return arch;
    return nullptr;
}

std::string supported_architectures_text() {
    std::string text;
    for (const Architecture* arch : architectures()) {
        for (std::string_view type : arch->hf_model_types)
            text += (text.empty() ? "" : ", ") + std::string(type);
    }
    return text;
}

std::string unsupported_architecture_message(std::string_view name) {
    return "architecture '" + std::string(name) +
           "' is not supported (supported: " + supported_architectures_text() + ")";
}

}  // namespace loom
