// Names of weight tensors in model files, per naming scheme, in one table. "{L}" stands for the layer index.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace loom {

enum class WeightId {
    TokenEmbedding,
    OutputNorm,
    Output,
    AttnNorm,
    AttnNormBias,
    Q,
    K,
    V,
    O,
    QBias,
    KBias,
    VBias,
    FfnNorm,
    FfnNormBias,
    Gate,
    Up,
    Down,
    RopeFreqs,  // GGUF only: per-pair RoPE frequency divisors (Llama 3.1 scaling as llama.cpp stores it)
    Count
};

struct TensorNames {
    std::array<std::string_view, static_cast<size_t>(WeightId::Count)> hf;    // safetensors from Hugging Face
    std::array<std::string_view, static_cast<size_t>(WeightId::Count)> gguf;  // GGUF

    enum class Scheme { HuggingFace, Gguf };
    // The name of `id` (in `layer` for per-layer weights) in a scheme; empty if the scheme has none.
    std::string name(Scheme scheme, WeightId id, int layer = 0) const;
};

// Llama, Mistral, Qwen2 and their relatives share one naming.
const TensorNames& llama_family_names();

}  // namespace loom
