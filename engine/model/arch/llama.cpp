// Llama and its relatives: Llama 2 and 3 (with "llama3" RoPE scaling), TinyLlama, SmolLM/SmolLM2, Mistral
// (without sliding-window attention). Pre-norm decoder layers with RMSNorm, rotary positions, grouped-query
// attention and a SwiGLU feed-forward block.
#include "model/architecture.h"
#include "util/error.h"

namespace loom {

namespace {

RopeScaling rope_scaling_from_hf(const JsonFields& config) {
    RopeScaling scaling;
    const nlohmann::json* field = config.find("rope_scaling");
    if (!field) return scaling;
    JsonFields rope(*field, config.source() + " rope_scaling");
    std::string type = rope.string_if("rope_type").value_or(rope.string_if("type").value_or(""));
    if (type == "default" || type.empty()) return scaling;
    scaling.factor = rope.number("factor");
    if (type == "linear") {
        scaling.kind = RopeScaling::Kind::Linear;
    } else if (type == "llama3") {
        scaling.kind = RopeScaling::Kind::Llama3;
        scaling.low_freq_factor = rope.number("low_freq_factor");
        scaling.high_freq_factor = rope.number("high_freq_factor");
        scaling.original_context = rope.integer("original_max_position_embeddings");
        if (!(scaling.high_freq_factor > scaling.low_freq_factor))
            fail(config.source(), ": rope_scaling high_freq_factor must exceed low_freq_factor");
    } else {
        fail(config.source(), ": rope_scaling type '", type, "' is not supported (supported: llama3, linear)");
    }
    if (!(scaling.factor > 0)) fail(config.source(), ": rope_scaling factor must be positive");
    return scaling;
}

}  // namespace

ModelConfig llama_family_config_from_hf(const JsonFields& config) {
    ModelConfig c;
    c.vocab_size = config.integer("vocab_size");
    c.hidden_size = config.integer("hidden_size");
    c.layers = static_cast<int>(config.integer("num_hidden_layers"));
    c.heads = static_cast<int>(config.integer("num_attention_heads"));
    c.kv_heads = static_cast<int>(config.integer_if("num_key_value_heads").value_or(c.heads));
    if (c.heads <= 0 || (c.hidden_size % c.heads != 0 && !config.has("head_dim")))
        fail(config.source(), ": hidden_size ", c.hidden_size, " is not divisible by num_attention_heads ", c.heads);
    c.head_dim = static_cast<int>(config.integer_if("head_dim").value_or(c.hidden_size / c.heads));
    c.ffn_size = config.integer("intermediate_size");
    c.context_length = config.integer_if("max_position_embeddings").value_or(2048);
    c.norm_eps = static_cast<float>(config.number_if("rms_norm_eps").value_or(1e-6));
    c.rope_theta = config.number_if("rope_theta").value_or(10000.0);
    c.rotary_dims = c.head_dim;
    c.rope_scaling = rope_scaling_from_hf(config);
    c.tied_embeddings = config.boolean_if("tie_word_embeddings").value_or(false);

    if (std::string act = config.string_if("hidden_act").value_or("silu"); act != "silu")
        fail(config.source(), ": hidden_act '", act, "' is not supported for this architecture (only silu)");
    if (config.boolean_if("mlp_bias").value_or(false) || config.boolean_if("attention_bias").value_or(false))
        fail(config.source(), ": attention_bias and mlp_bias are not supported for this architecture");
    if (auto window = config.integer_if("sliding_window"); window && *window < c.context_length) {
        // Without sliding-window attention, the model is exact up to its window: use that as the context.
        c.context_length = *window;
    }
    if (auto bos = config.integer_if("bos_token_id")) c.bos_token_id = static_cast<int32_t>(*bos);
    if (const nlohmann::json* eos = config.find("eos_token_id")) {
        if (eos->is_number_integer()) c.eos_token_ids.push_back(eos->get<int32_t>());
        if (eos->is_array())
            for (const auto& id : *eos)
                if (id.is_number_integer()) c.eos_token_ids.push_back(id.get<int32_t>());
    }
    return c;
}

void llama_family_forward(ForwardPass& f) {
    Tensor x = f.embed_tokens();  // [n, hidden]
    f.tap(Tap::Residual, 0, x);
    for (int l = 0; l < f.config().layers; ++l) {
        const LayerWeights& w = f.weights().layers[static_cast<size_t>(l)];
        Tensor h = f.norm(x, w.attn_norm, w.attn_norm_bias, Tap::AttnNorm, l);
        f.add_residual(x, f.self_attention(h, w, l));
        h = f.norm(x, w.ffn_norm, w.ffn_norm_bias, Tap::FfnNorm, l);
        f.add_residual(x, f.gated_ffn(h, w, l));
        f.tap(Tap::Residual, l + 1, x);
    }
    f.output_head(x);
}

extern const Architecture kLlamaArchitecture = {
    "llama",
    {"llama", "mistral"},
    "llama",
    llama_family_config_from_hf,
    llama_family_names,
    llama_family_forward,
};

}  // namespace loom
