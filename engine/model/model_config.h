// The hyper-parameters of a model, whatever file they came from (config.json or GGUF metadata).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loom {

struct RopeScaling {
    enum class Kind { None, Linear, Llama3 };
    Kind kind = Kind::None;
    double factor = 1.0;
    // Llama 3 only: frequencies are left alone above high_freq_factor and divided by `factor` below
    // low_freq_factor, relative to the original training context.
    double low_freq_factor = 1.0;
    double high_freq_factor = 4.0;
    int64_t original_context = 8192;
};

enum class NormKind { RmsNorm, LayerNorm };

struct ModelConfig {
    std::string architecture;  // the engine's name: "llama", "qwen2"
    int64_t vocab_size = 0;
    int64_t hidden_size = 0;
    int layers = 0;
    int heads = 0;
    int kv_heads = 0;
    int head_dim = 0;
    int64_t ffn_size = 0;
    int64_t context_length = 0;  // the longest context the model was trained for

    NormKind norm = NormKind::RmsNorm;
    float norm_eps = 1e-5f;

    double rope_theta = 10000.0;
    int rotary_dims = 0;            // leading dims of each head that rotate; = head_dim unless partial
    bool rope_interleaved = false;  // GGUF llama q/k use interleaved pairs, Hugging Face rotate-half
    RopeScaling rope_scaling;

    bool tied_embeddings = false;  // the output matrix is the token embedding
    bool qkv_bias = false;

    std::optional<int32_t> bos_token_id;
    std::vector<int32_t> eos_token_ids;

    // Throws Error if the numbers are inconsistent (heads not dividing, zero sizes...).
    void validate() const;
    int64_t q_dim() const { return int64_t{heads} * head_dim; }
    int64_t kv_dim() const { return int64_t{kv_heads} * head_dim; }
};

// The rotation angle per position of each of the rotary_dims/2 pairs, including any scaling.
std::vector<float> rope_inv_freq(const ModelConfig& config);

}  // namespace loom
