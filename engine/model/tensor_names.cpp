#include "model/tensor_names.h"

namespace loom {

std::string TensorNames::name(Scheme scheme, WeightId id, int layer) const {
    std::string pattern(scheme == Scheme::HuggingFace ? hf[size_t(id)] : gguf[size_t(id)]);
    if (size_t at = pattern.find("{L}"); at != std::string::npos)
        pattern.replace(at, 3, std::to_string(layer));
    return pattern;
}

const TensorNames& llama_family_names() {
    using enum WeightId;
    static const TensorNames names = [] {
        TensorNames t;
        auto set = [&](WeightId id, std::string_view hf, std::string_view gguf) {
            t.hf[size_t(id)] = hf;
            t.gguf[size_t(id)] = gguf;
        };
        set(TokenEmbedding, "model.embed_tokens.weight", "token_embd.weight");
        set(OutputNorm, "model.norm.weight", "output_norm.weight");
        set(Output, "lm_head.weight", "output.weight");
        set(AttnNorm, "model.layers.{L}.input_layernorm.weight", "blk.{L}.attn_norm.weight");
        set(Q, "model.layers.{L}.self_attn.q_proj.weight", "blk.{L}.attn_q.weight");
        set(K, "model.layers.{L}.self_attn.k_proj.weight", "blk.{L}.attn_k.weight");
        set(V, "model.layers.{L}.self_attn.v_proj.weight", "blk.{L}.attn_v.weight");
        set(O, "model.layers.{L}.self_attn.o_proj.weight", "blk.{L}.attn_output.weight");
        set(QBias, "model.layers.{L}.self_attn.q_proj.bias", "blk.{L}.attn_q.bias");
        set(KBias, "model.layers.{L}.self_attn.k_proj.bias", "blk.{L}.attn_k.bias");
        set(VBias, "model.layers.{L}.self_attn.v_proj.bias", "blk.{L}.attn_v.bias");
        set(FfnNorm, "model.layers.{L}.post_attention_layernorm.weight", "blk.{L}.ffn_norm.weight");
        set(Gate, "model.layers.{L}.mlp.gate_proj.weight", "blk.{L}.ffn_gate.weight");
        set(Up, "model.layers.{L}.mlp.up_proj.weight", "blk.{L}.ffn_up.weight");
        set(Down, "model.layers.{L}.mlp.down_proj.weight", "blk.{L}.ffn_down.weight");
        set(RopeFreqs, "", "rope_freqs.weight");
        return t;
    }();
    return names;
}

}  // namespace loom
