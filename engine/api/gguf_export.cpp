#include "api/gguf_export.h"

#include <cstring>
#include <list>

#include "chat/chat_template.h"
#include "formats/gguf_keys.h"
#include "formats/gguf_writer.h"
#include "formats/json_fields.h"
#include "formats/safetensors.h"
#include "kernels/convert.h"
#include "model/architecture.h"
#include "model/weights.h"
#include "tokenizer/gguf_tokenizer.h"
#include "util/error.h"

namespace loom {

namespace fs = std::filesystem;

namespace {

void write_architecture_metadata(const Architecture& arch, const ModelConfig& c, const std::string& name,
                                 GgufWriter& writer) {
    namespace key = gguf::key;
    std::string a(arch.gguf_name);
    auto u32 = [](int64_t v) { return GgufValue::scalar(static_cast<uint32_t>(v)); };
    writer.set(key::kGeneralArchitecture, GgufValue::string(a));
    writer.set(key::kGeneralName, GgufValue::string(name));
    writer.set(gguf::arch_key(a, key::kContextLength), u32(c.context_length));
    writer.set(gguf::arch_key(a, key::kEmbeddingLength), u32(c.hidden_size));
    writer.set(gguf::arch_key(a, key::kBlockCount), u32(c.layers));
    writer.set(gguf::arch_key(a, key::kFeedForwardLength), u32(c.ffn_size));
    writer.set(gguf::arch_key(a, key::kHeadCount), u32(c.heads));
    writer.set(gguf::arch_key(a, key::kHeadCountKv), u32(c.kv_heads));
    if (c.head_dim * c.heads != c.hidden_size)
        writer.set(gguf::arch_key(a, key::kKeyLength), u32(c.head_dim));
    writer.set(gguf::arch_key(a, key::kRopeDimensionCount), u32(c.rotary_dims));
    writer.set(gguf::arch_key(a, key::kRopeFreqBase), GgufValue::scalar(static_cast<float>(c.rope_theta)));
    writer.set(gguf::arch_key(a, key::kLayerNormRmsEpsilon), GgufValue::scalar(c.norm_eps));
    writer.set(gguf::arch_key(a, key::kVocabSize), u32(c.vocab_size));
    if (c.rope_scaling.kind == RopeScaling::Kind::Linear) {
        writer.set(gguf::arch_key(a, key::kRopeScalingType), GgufValue::string("linear"));
        writer.set(gguf::arch_key(a, key::kRopeScalingFactor),
                   GgufValue::scalar(static_cast<float>(c.rope_scaling.factor)));
    }
}

// Hugging Face stores Llama's q/k rows for rotate-half RoPE; GGUF llama stores them for interleaved pairs.
// Row i of each head's first half goes to 2i, row i of its second half to 2i + 1.
std::vector<std::byte> interleave_rope_rows(std::span<const std::byte> rows, size_t row_bytes, int heads,
                                            int head_dim) {
    std::vector<std::byte> out(rows.size());
    const int half = head_dim / 2;
    for (int h = 0; h < heads; ++h)
        for (int i = 0; i < half; ++i)
            for (int part = 0; part < 2; ++part) {
                size_t from = size_t(h * head_dim + i + part * half),
                       to = size_t(h * head_dim + 2 * i + part);
                std::memcpy(out.data() + to * row_bytes, rows.data() + from * row_bytes, row_bytes);
            }
    return out;
}

class TensorWriter {
  public:
    TensorWriter(GgufWriter& writer, const GgufExportOptions& options, double total_bytes)
        : writer_(writer), options_(options), total_bytes_(total_bytes) {}

    // Adds `stored` under `name` as `type`, converting through F32 when the types differ.
    void add(const StoredTensor& stored, const std::string& name, DType type,
             const std::vector<std::byte>* replaced_bytes = nullptr) {
        std::span<const std::byte> source =
            replaced_bytes ? std::span<const std::byte>(*replaced_bytes) : stored.data;
        const int64_t cols = stored.shape.back(), rows = stored.elements() / cols;
        StoredTensor out;
        out.name = name;
        out.dtype = type;
        out.shape = stored.shape;
        if (type == stored.dtype) {
            buffers_.emplace_back(source.begin(), source.end());
        } else {
            std::vector<std::byte> converted(static_cast<size_t>(rows) * row_bytes(type, cols));
            std::vector<float> row(static_cast<size_t>(cols));
            const size_t in_row = row_bytes(stored.dtype, cols), out_row = row_bytes(type, cols);
            for (int64_t r = 0; r < rows; ++r) {
                row_to_float(stored.dtype, source.data() + r * in_row, cols, row.data());
                row_from_float(type, row.data(), cols, converted.data() + r * out_row);
            }
            buffers_.push_back(std::move(converted));
        }
        out.data = buffers_.back();
        writer_.add_tensor(std::move(out));
        done_bytes_ += static_cast<double>(stored.data.size());
        if (options_.progress && !options_.progress(done_bytes_ / total_bytes_)) throw Cancelled();
    }

    // A tensor computed here rather than read (e.g. rope_freqs).
    void add_values(const std::string& name, const std::vector<float>& values) {
        buffers_.emplace_back(values.size() * sizeof(float));
        std::memcpy(buffers_.back().data(), values.data(), buffers_.back().size());
        writer_.add_tensor({name, DType::F32, {static_cast<int64_t>(values.size())}, buffers_.back()});
    }

  private:
    GgufWriter& writer_;
    const GgufExportOptions& options_;
    std::list<std::vector<std::byte>> buffers_;  // stable addresses until the file is written
    double total_bytes_, done_bytes_ = 0;
};

}  // namespace

void export_gguf(const fs::path& model_dir, const fs::path& output, const GgufExportOptions& options) {
    if (!fs::is_directory(model_dir)) fail(model_dir.string(), " is not a Hugging Face model folder");
    nlohmann::json config_json = read_json_file(model_dir / "config.json");
    JsonFields config_fields(config_json, (model_dir / "config.json").string());
    std::string model_type = config_fields.string_if("model_type").value_or("");
    const Architecture* arch = find_architecture_by_hf_type(model_type);
    if (!arch) fail(unsupported_architecture_message(model_type));
    ModelConfig config = arch->config_from_hf(config_fields);
    config.validate();
    TensorSet tensors = read_safetensors_folder(model_dir);
    const TensorNames& names = arch->tensor_names();
    check_weights(tensors, config, names);

    GgufWriter writer;
    std::string name = model_dir.filename().empty() ? model_dir.parent_path().filename().string()
                                                    : model_dir.filename().string();
    write_architecture_metadata(*arch, config, name, writer);
    writer.set(gguf::key::kGeneralFileType,
               GgufValue::scalar(options.scheme ? options.scheme->gguf_file_type() : uint32_t{0}));
    writer.set(gguf::key::kGeneralQuantizationVersion, GgufValue::scalar(uint32_t{2}));
    GgufMetadata tokenizer_metadata("tokenizer");
    write_tokenizer_metadata(tokenizer_parts_from_hf_folder(model_dir), tokenizer_metadata);
    for (const auto& [key, value] : tokenizer_metadata.entries())
        writer.set(key, value);
    if (auto chat_template = read_hf_chat_template(model_dir))
        writer.set(gguf::key::kTokenizerChatTemplate, GgufValue::string(*chat_template));

    TensorWriter out(writer, options, static_cast<double>(std::max<uint64_t>(tensors.total_bytes(), 1)));
    const bool interleave = arch->gguf_name == "llama";
    for (int id_index = 0; id_index < static_cast<int>(WeightId::Count); ++id_index) {
        const WeightId id = static_cast<WeightId>(id_index);
        const bool per_layer = names.hf[size_t(id)].find("{L}") != std::string_view::npos;
        for (int layer = 0; layer < (per_layer ? config.layers : 1); ++layer) {
            std::string hf_name = names.name(TensorNames::Scheme::HuggingFace, id, layer);
            const StoredTensor* stored = hf_name.empty() ? nullptr : tensors.find(hf_name);
            if (!stored) continue;
            std::string gguf_name = names.name(TensorNames::Scheme::Gguf, id, layer);
            if (stored->shape.size() == 1) {
                out.add(*stored, gguf_name, DType::F32);
                continue;
            }
            DType type = options.scheme
                             ? options.scheme->type_for(id, layer, config.layers, stored->shape.back())
                             : stored->dtype;
            if (interleave && (id == WeightId::Q || id == WeightId::K)) {
                int heads = id == WeightId::Q ? config.heads : config.kv_heads;
                std::vector<std::byte> rows = interleave_rope_rows(
                    stored->data, row_bytes(stored->dtype, stored->shape.back()), heads, config.head_dim);
                out.add(*stored, gguf_name, type, &rows);
            } else {
                out.add(*stored, gguf_name, type);
            }
        }
    }
    if (config.rope_scaling.kind == RopeScaling::Kind::Llama3) {
        // llama.cpp keeps Llama 3.1 scaling as per-pair divisors of the unscaled frequencies.
        ModelConfig unscaled = config;
        unscaled.rope_scaling = {};
        std::vector<float> base = rope_inv_freq(unscaled), scaled = rope_inv_freq(config),
                           divisors(base.size());
        for (size_t i = 0; i < base.size(); ++i)
            divisors[i] = base[i] / scaled[i];
        out.add_values(names.name(TensorNames::Scheme::Gguf, WeightId::RopeFreqs), divisors);
    }
    writer.write_file(output.string());
}

}  // namespace loom
