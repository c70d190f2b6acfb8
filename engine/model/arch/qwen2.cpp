// Qwen2 and Qwen2.5: the Llama layer with biases on the q, k and v projections (and often tied embeddings).
#include "model/architecture.h"
#include "util/error.h"

namespace loom {

namespace {

ModelConfig qwen2_config_from_hf(const JsonFields& config) {
    ModelConfig c = llama_family_config_from_hf(config);
    c.qkv_bias = true;
    // Qwen2 configs carry a sliding_window that only applies when use_sliding_window is true.
    c.context_length = config.integer_if("max_position_embeddings").value_or(32768);
    if (config.boolean_if("use_sliding_window").value_or(false))
        fail(config.source(), ": use_sliding_window is not supported");
    return c;
}

}  // namespace

extern const Architecture kQwen2Architecture = {
    "qwen2",
    {"qwen2"},
    "qwen2",
    qwen2_config_from_hf,
    [](const GgufFile& file) {
        ModelConfig c = llama_family_config_from_gguf(file, /*interleaved_rope=*/false);
        c.qkv_bias = true;
        return c;
    },
    llama_family_names,
    llama_family_forward,
};

}  // namespace loom
