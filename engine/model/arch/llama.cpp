// Llama and its relatives: Llama 2 and 3 (with "llama3" RoPE scaling), TinyLlama, SmolLM/SmolLM2, Mistral
// (without sliding-window attention). Pre-norm decoder layers with RMSNorm, rotary positions, grouped-query
// attention and a SwiGLU feed-forward block.
#include "formats/gguf_keys.h"
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
        fail(config.source(), ": rope_scaling type '", type,
             "' is not supported (supported: llama3, linear)");
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
        fail(config.source(), ": hidden_size ", c.hidden_size, " is not divisible by num_attention_heads ",
             c.heads);
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

ModelConfig llama_family_config_from_gguf(const GgufFile& file, bool interleaved_rope) {
    const GgufMetadata& meta = file.metadata();
    std::string arch(meta.require_string(gguf::key::kGeneralArchitecture));
    auto key = [&](std::string_view suffix) { return gguf::arch_key(arch, suffix); };
    auto require_int = [&](std::string_view suffix) {
        uint64_t value = meta.require_uint(key(suffix));
        if (value > (uint64_t{1} << 31))
            fail(file.source(), ": ", key(suffix), " = ", value, " is implausibly large");
        return static_cast<int64_t>(value);
    };

    ModelConfig c;
    c.hidden_size = require_int(gguf::key::kEmbeddingLength);
    c.layers = static_cast<int>(require_int(gguf::key::kBlockCount));
    c.heads = static_cast<int>(require_int(gguf::key::kHeadCount));
    c.kv_heads = static_cast<int>(
        meta.get_uint(key(gguf::key::kHeadCountKv)).value_or(static_cast<uint64_t>(c.heads)));
    c.ffn_size = require_int(gguf::key::kFeedForwardLength);
    c.context_length = static_cast<int64_t>(meta.get_uint(key(gguf::key::kContextLength)).value_or(2048));
    if (c.heads <= 0) fail(file.source(), ": ", key(gguf::key::kHeadCount), " must be positive");
    c.head_dim = static_cast<int>(
        meta.get_uint(key(gguf::key::kKeyLength)).value_or(static_cast<uint64_t>(c.hidden_size / c.heads)));
    c.rotary_dims = static_cast<int>(
        meta.get_uint(key(gguf::key::kRopeDimensionCount)).value_or(static_cast<uint64_t>(c.head_dim)));
    c.rope_theta = meta.get_float(key(gguf::key::kRopeFreqBase)).value_or(10000.0);
    c.rope_interleaved = interleaved_rope;
    c.norm_eps = static_cast<float>(meta.get_float(key(gguf::key::kLayerNormRmsEpsilon)).value_or(1e-5));
    if (auto type = meta.get_string(key(gguf::key::kRopeScalingType)); type && *type != "none") {
        if (*type != "linear")
            fail(file.source(), ": RoPE scaling '", *type, "' is not supported (supported: linear)");
        c.rope_scaling.kind = RopeScaling::Kind::Linear;
        c.rope_scaling.factor = meta.require_float(key(gguf::key::kRopeScalingFactor));
    }
    // Llama 3.1-style scaling arrives as a tensor of per-pair frequency divisors (rope_freqs.weight), applied
    // by the weight loader.

    // The vocabulary: the metadata's count, else the tokenizer's, else the embedding's rows.
    if (auto vocab = meta.get_uint(key(gguf::key::kVocabSize)))
        c.vocab_size = static_cast<int64_t>(*vocab);
    else if (auto tokens = meta.get_string_array(gguf::key::kTokenizerTokens))
        c.vocab_size = static_cast<int64_t>(tokens->size());
    bool has_output = false;
    for (const StoredTensor& t : file.tensors()) {
        if (t.name == "output.weight") has_output = true;
        if (t.name == "token_embd.weight" && t.shape.size() == 2 && c.vocab_size == 0)
            c.vocab_size = t.shape[0];
    }
    c.tied_embeddings = !has_output;
    if (auto bos = meta.get_uint(gguf::key::kTokenizerBosTokenId))
        c.bos_token_id = static_cast<int32_t>(*bos);
    if (auto eos = meta.get_uint(gguf::key::kTokenizerEosTokenId))
        c.eos_token_ids.push_back(static_cast<int32_t>(*eos));
    return c;
}

// Pre-norm blocks: x += attention(norm(x)); x += ffn(norm(x)). Each residual add is done together with the
// norm that follows it (add_residual_and_norm), except the last, whose norm is the output head's.
void llama_family_forward(ForwardPass& f) {
    const std::vector<LayerWeights>& layers = f.weights().layers;
    Tensor x = f.embed_tokens();  // [n, hidden]
    f.tap(Tap::Residual, 0, x);
    Tensor h = f.norm(x, layers[0].attn_norm, layers[0].attn_norm_bias, Tap::AttnNorm, 0);
    for (int l = 0; l < f.config().layers; ++l) {
        const LayerWeights& w = layers[static_cast<size_t>(l)];
        h = f.add_residual_and_norm(x, f.self_attention(h, w, l), w.ffn_norm, w.ffn_norm_bias, Tap::FfnNorm,
                                    l);
        Tensor ffn = f.gated_ffn(h, w, l);
        if (l + 1 < f.config().layers) {
            const LayerWeights& next = layers[static_cast<size_t>(l) + 1];
            h = f.add_residual_and_norm(x, ffn, next.attn_norm, next.attn_norm_bias, Tap::AttnNorm, l + 1);
        } else {
            f.add_residual(x, ffn);
        }
        f.tap(Tap::Residual, l + 1, x);
    }
    f.output_head(x);
}

extern const Architecture kLlamaArchitecture = {
    "llama",
    {"llama", "mistral"},
    "llama",
    llama_family_config_from_hf,
    [](const GgufFile& file) { return llama_family_config_from_gguf(file, /*interleaved_rope=*/true); },
    llama_family_names,
    llama_family_forward,
};

}  // namespace loom
