#include "api/synthetic_model.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/safetensors_writer.h"
#include "kernels/convert.h"
#include "util/error.h"

namespace loom {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

// The printable character GPT-2's byte-level BPE uses for each byte.
std::string byte_level_char(int byte) {
    int code;
    if ((byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF)) {
        code = byte;
    } else {
        int shifted = 0;  // bytes outside those ranges map to 256, 257... in byte order
        for (int b = 0; b < byte; ++b)
            if (!((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))) ++shifted;
        code = 256 + shifted;
    }
    std::string utf8;
    if (code < 0x80) {
        utf8 += static_cast<char>(code);
    } else {
        utf8 += static_cast<char>(0xC0 | (code >> 6));
        utf8 += static_cast<char>(0x80 | (code & 0x3F));
    }
    return utf8;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) fail("cannot write ", path.string());
}

// A byte-level BPE tokenizer: the 256 byte tokens, a few merges of common English pairs (GGUF readers need
// merges), and <|endoftext|>.
void write_tokenizer(const fs::path& folder) {
    ordered_json vocab = ordered_json::object();
    for (int b = 0; b < 256; ++b)
        vocab[byte_level_char(b)] = b;
    const std::string space = byte_level_char(' ');
    const std::vector<std::pair<std::string, std::string>> pairs = {
        {space, "t"}, {"h", "e"},   {space + "t", "he"}, {"i", "n"},
        {"e", "r"},   {space, "a"}, {"o", "n"},          {"r", "e"}};
    ordered_json merges = ordered_json::array();
    for (const auto& [left, right] : pairs) {
        vocab[left + right] = static_cast<int>(vocab.size());
        merges.push_back(left + " " + right);
    }
    const int end_of_text = static_cast<int>(vocab.size());
    ordered_json tokenizer = {
        {"version", "1.0"},
        {"added_tokens",
         {{{"id", end_of_text},
           {"content", "<|endoftext|>"},
           {"single_word", false},
           {"lstrip", false},
           {"rstrip", false},
           {"normalized", false},
           {"special", true}}}},
        {"normalizer", nullptr},
        {"pre_tokenizer",
         {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
        {"post_processor", nullptr},
        {"decoder",
         {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
    };
    write_text(folder / "tokenizer.json", tokenizer.dump(1));
    ordered_json config = {{"eos_token", "<|endoftext|>"}, {"add_bos_token", false}};
    write_text(folder / "tokenizer_config.json", config.dump(1));
}

// xorshift64*: quick enough to fill a gigabyte in a second.
struct FastRandom {
    uint64_t state;
    float next_uniform() {  // in [-1, 1)
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return static_cast<float>((state * 0x2545F4914F6CDD1Dull) >> 40) * (2.0f / 16777216.0f) - 1.0f;
    }
};

}  // namespace

SyntheticModelSpec SyntheticModelSpec::qwen2_5_0_5b(DType dtype) {
    SyntheticModelSpec spec;
    spec.dtype = dtype;
    return spec;
}

SyntheticModelSpec SyntheticModelSpec::small_for_every_type(const std::string& architecture) {
    SyntheticModelSpec spec;
    spec.architecture = architecture;
    spec.hidden = 256;
    spec.layers = 2;
    spec.heads = 4;
    spec.kv_heads = 2;
    spec.ffn = 512;
    spec.vocab = 512;
    spec.context = 256;
    spec.tied_embeddings = architecture == "qwen2";
    spec.dtype = DType::F32;
    return spec;
}

void write_synthetic_model(const SyntheticModelSpec& spec, const fs::path& folder) {
    if (spec.architecture != "llama" && spec.architecture != "qwen2")
        fail("synthetic models can be llama or qwen2, not ", spec.architecture);
    if (spec.dtype != DType::F32 && spec.dtype != DType::F16 && spec.dtype != DType::BF16)
        fail("synthetic safetensors models are F32, F16 or BF16; quantize them on load or write GGUF");
    fs::create_directories(folder);
    const int64_t head_dim = spec.hidden / spec.heads;
    const bool qwen = spec.architecture == "qwen2";

    ordered_json config = {
        {"architectures", {qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
        {"model_type", spec.architecture},
        {"hidden_size", spec.hidden},
        {"intermediate_size", spec.ffn},
        {"num_hidden_layers", spec.layers},
        {"num_attention_heads", spec.heads},
        {"num_key_value_heads", spec.kv_heads},
        {"vocab_size", spec.vocab},
        {"max_position_embeddings", spec.context},
        {"rms_norm_eps", 1e-6},
        {"rope_theta", 1000000.0},
        {"tie_word_embeddings", spec.tied_embeddings},
        {"hidden_act", "silu"},
        {"torch_dtype", spec.dtype == DType::F32   ? "float32"
                        : spec.dtype == DType::F16 ? "float16"
                                                   : "bfloat16"},
        {"bos_token_id", 264},
        {"eos_token_id", 264},
    };
    write_text(folder / "config.json", config.dump(1));
    write_tokenizer(folder);

    uint64_t seed = spec.seed;
    std::vector<TensorToWrite> tensors;
    auto add = [&](std::string name, std::vector<int64_t> shape, float spread, float center) {
        DType dtype = shape.size() == 1 ? DType::F32 : spec.dtype;
        uint64_t tensor_seed = ++seed * 0x9E3779B97F4A7C15ull;
        tensors.push_back({std::move(name), dtype, shape, [=](std::span<std::byte> out) {
                               FastRandom random{tensor_seed | 1};
                               size_t elements = out.size() / dtype_info(dtype).block_bytes;
                               std::vector<float> values(elements);
                               for (float& v : values)
                                   v = center + spread * random.next_uniform();
                               row_from_float(dtype, values.data(), static_cast<int64_t>(elements),
                                              out.data());
                           }});
    };
    // Uniform on [-a, a] has standard deviation a / sqrt(3); trained weights have about 0.02.
    const float spread = 0.035f;
    add("model.embed_tokens.weight", {spec.vocab, spec.hidden}, spread, 0.0f);
    for (int l = 0; l < spec.layers; ++l) {
        std::string p = "model.layers." + std::to_string(l) + ".";
        add(p + "input_layernorm.weight", {spec.hidden}, 0.1f, 1.0f);
        add(p + "self_attn.q_proj.weight", {spec.heads * head_dim, spec.hidden}, spread, 0.0f);
        add(p + "self_attn.k_proj.weight", {spec.kv_heads * head_dim, spec.hidden}, spread, 0.0f);
        add(p + "self_attn.v_proj.weight", {spec.kv_heads * head_dim, spec.hidden}, spread, 0.0f);
        if (qwen) {
            add(p + "self_attn.q_proj.bias", {spec.heads * head_dim}, spread, 0.0f);
            add(p + "self_attn.k_proj.bias", {spec.kv_heads * head_dim}, spread, 0.0f);
            add(p + "self_attn.v_proj.bias", {spec.kv_heads * head_dim}, spread, 0.0f);
        }
        add(p + "self_attn.o_proj.weight", {spec.hidden, spec.heads * head_dim}, spread, 0.0f);
        add(p + "post_attention_layernorm.weight", {spec.hidden}, 0.1f, 1.0f);
        add(p + "mlp.gate_proj.weight", {spec.ffn, spec.hidden}, spread, 0.0f);
        add(p + "mlp.up_proj.weight", {spec.ffn, spec.hidden}, spread, 0.0f);
        add(p + "mlp.down_proj.weight", {spec.hidden, spec.ffn}, spread, 0.0f);
    }
    add("model.norm.weight", {spec.hidden}, 0.1f, 1.0f);
    if (!spec.tied_embeddings) add("lm_head.weight", {spec.vocab, spec.hidden}, spread, 0.0f);
    write_safetensors(folder / "model.safetensors", tensors);
}

}  // namespace loom
