// The table of supported architectures. Each one lives in its own file under arch/: how to read its
// hyper-parameters, how its tensors are named, and its forward pass composed of the shared blocks.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "formats/gguf.h"
#include "formats/json_fields.h"
#include "model/forward_pass.h"
#include "model/model_config.h"
#include "model/tensor_names.h"

namespace loom {

struct Architecture {
    std::string_view name;                         // the engine's name, shown to users: "llama"
    std::vector<std::string_view> hf_model_types;  // config.json "model_type" values it accepts
    std::string_view gguf_name;                    // GGUF "general.architecture"
    // Hyper-parameters from a Hugging Face config.json; throws Error naming a missing or unsupported field.
    ModelConfig (*config_from_hf)(const JsonFields& config);
    // Hyper-parameters from GGUF metadata (and the tensor list, e.g. whether there is an output matrix).
    ModelConfig (*config_from_gguf)(const GgufFile& file);
    const TensorNames& (*tensor_names)();
    void (*forward)(ForwardPass& pass);
};

std::span<const Architecture* const> architectures();
const Architecture* find_architecture_by_hf_type(std::string_view model_type);
const Architecture* find_architecture_by_gguf_name(std::string_view name);
// "llama (Llama 2/3, TinyLlama, SmolLM, Mistral), qwen2" for error messages.
std::string supported_architectures_text();
// "architecture 'mamba' is not supported (supported: llama, mistral, qwen2)"
std::string unsupported_architecture_message(std::string_view name);

// Shared by the architectures of the Llama family, defined in arch/llama.cpp.
ModelConfig llama_family_config_from_hf(const JsonFields& config);
// `interleaved_rope`: GGUF's llama q/k rows are stored for interleaved-pair RoPE (Meta's layout, which
// llama.cpp's converter restores); qwen2 keeps Hugging Face's rotate-half layout.
ModelConfig llama_family_config_from_gguf(const GgufFile& file, bool interleaved_rope);
void llama_family_forward(ForwardPass& pass);

}  // namespace loom
