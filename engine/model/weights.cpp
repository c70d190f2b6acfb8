#include "model/weights.h"

#include <cstring>

#include "kernels/convert.h"
#include "util/error.h"

namespace loom {

namespace {

// Finds the weights a model needs and uploads them; or, when measuring (no backend needed), only checks that
// every tensor is there with the right shape and adds up the bytes the weights will take.
class WeightLoader {
  public:
    enum class Mode { Measure, Upload };

    WeightLoader(const TensorSet& tensors, const TensorNames& names, const ModelConfig& config,
                 Backend* backend, const WeightLoadOptions& options, Mode mode)
        : tensors_(tensors),
          names_(names),
          layers_(config.layers),
          tied_(config.tied_embeddings),
          backend_(backend),
          options_(options),
          mode_(mode) {
        scheme_ = detect_scheme();
        total_bytes_ = static_cast<double>(tensors.total_bytes());
    }

    bool has(WeightId id, int layer = 0) const { return find(id, layer) != nullptr; }
    // Bytes of every weight measured so far.
    uint64_t measured_bytes() const { return measured_bytes_; }

    // A weight matrix [rows, cols]; converted to the type options.scheme gives it, if there is a scheme.
    Tensor matrix(WeightId id, int layer, int64_t rows, int64_t cols) {
        const StoredTensor& stored = require(id, layer);
        check_shape(stored, {rows, cols});
        DType target =
            options_.scheme ? options_.scheme->type_for(id, layer, layers_, cols, tied_) : stored.dtype;
        if (!row_fits_blocks(target, cols))
            fail("cannot store '", stored.name, "' as ", dtype_name(target), ": its rows of ", cols,
                 " values are not a whole number of ", dtype_info(target).block_elements, "-value blocks");
        if (mode_ == Mode::Measure) {
            measured_bytes_ += static_cast<uint64_t>(rows) * row_bytes(target, cols);
            return Tensor{};
        }
        if (target == stored.dtype) return upload(stored.data, target, rows, cols, stored.data.size());
        std::vector<std::byte> converted(static_cast<size_t>(rows) * row_bytes(target, cols));
        std::vector<float> row(static_cast<size_t>(cols));
        size_t stored_row = row_bytes(stored.dtype, cols), target_row = row_bytes(target, cols);
        for (int64_t r = 0; r < rows; ++r) {
            row_to_float(stored.dtype, stored.data.data() + r * stored_row, cols, row.data());
            row_from_float(target, row.data(), cols, converted.data() + r * target_row);
        }
        return upload(converted, target, rows, cols, stored.data.size());
    }

    // A vector [1, n] (norm weight, bias), always converted to F32: they are tiny and every backend op
    // reads them as F32.
    Tensor vector(WeightId id, int layer, int64_t n) {
        const StoredTensor& stored = require(id, layer);
        check_shape(stored, {n});
        if (mode_ == Mode::Measure) {
            measured_bytes_ += static_cast<uint64_t>(n) * sizeof(float);
            return Tensor{};
        }
        std::vector<std::byte> values(static_cast<size_t>(n) * sizeof(float));
        row_to_float(stored.dtype, stored.data.data(), n, reinterpret_cast<float*>(values.data()));
        return upload(values, DType::F32, 1, n, stored.data.size());
    }

    Tensor optional_vector(WeightId id, int layer, int64_t n) {
        return has(id, layer) ? vector(id, layer, n) : Tensor{};
    }

  private:
    TensorNames::Scheme detect_scheme() const {
        for (auto scheme : {TensorNames::Scheme::HuggingFace, TensorNames::Scheme::Gguf})
            if (tensors_.find(names_.name(scheme, WeightId::TokenEmbedding))) return scheme;
        fail("the model files have no token embedding (looked for '",
             names_.name(TensorNames::Scheme::HuggingFace, WeightId::TokenEmbedding), "' and '",
             names_.name(TensorNames::Scheme::Gguf, WeightId::TokenEmbedding), "')");
    }

    const StoredTensor* find(WeightId id, int layer) const {
        std::string name = names_.name(scheme_, id, layer);
        return name.empty() ? nullptr : tensors_.find(name);
    }

    const StoredTensor& require(WeightId id, int layer) const {
        if (const StoredTensor* t = find(id, layer)) return *t;
        std::string name = names_.name(scheme_, id, layer);
        if (const std::string* type = tensors_.skipped_type(name))
            fail("tensor '", name, "' is stored as ", *type,
                 ", which Loom cannot compute with (F32, F16, BF16 or GGUF "
                 "quantized types)");
        fail("the model files lack the tensor '", names_.name(scheme_, id, layer),
             "': the download may be incomplete, or the files are not of the architecture config.json names");
    }

    static void check_shape(const StoredTensor& stored, std::vector<int64_t> expected) {
        std::vector<int64_t> shape = stored.shape;
        // A vector may be stored as [n] or [1, n].
        if (expected.size() == 1 && shape.size() == 2 && shape[0] == 1) shape.erase(shape.begin());
        if (shape != expected)
            fail("tensor '", stored.name, "' has shape ", shape_text(stored.shape),
                 " but the model's config needs ", shape_text(expected));
    }

    // The backend copies the bytes (into its own memory or the device's) before returning.
    Tensor upload(std::span<const std::byte> bytes, DType dtype, int64_t rows, int64_t cols,
                  size_t stored_bytes) {
        Tensor t = backend_->upload(HostTensor{dtype, rows, cols, bytes});
        advance(stored_bytes);
        return t;
    }

    void advance(size_t bytes) {
        done_bytes_ += static_cast<double>(bytes);
        if (options_.progress && !options_.progress(total_bytes_ > 0 ? done_bytes_ / total_bytes_ : 1.0))
            throw Cancelled();
    }

    const TensorSet& tensors_;
    const TensorNames& names_;
    int layers_;
    bool tied_;
    Backend* backend_;  // null when measuring
    const WeightLoadOptions& options_;
    Mode mode_;
    uint64_t measured_bytes_ = 0;
    TensorNames::Scheme scheme_;
    double total_bytes_ = 0, done_bytes_ = 0;
};

// Every weight `config` needs, in one walk that load_weights() makes twice: measuring, then uploading.
ModelWeights collect_weights(WeightLoader& load, const ModelConfig& config) {
    using enum WeightId;
    const int64_t hidden = config.hidden_size, q_dim = config.q_dim(), kv_dim = config.kv_dim();
    const int64_t ffn = config.ffn_size;
    const bool layer_norm = config.norm == NormKind::LayerNorm;

    ModelWeights w;
    w.token_embedding = load.matrix(TokenEmbedding, 0, config.vocab_size, hidden);
    w.layers.resize(static_cast<size_t>(config.layers));
    for (int l = 0; l < config.layers; ++l) {
        LayerWeights& layer = w.layers[static_cast<size_t>(l)];
        layer.attn_norm = load.vector(AttnNorm, l, hidden);
        if (layer_norm) layer.attn_norm_bias = load.optional_vector(AttnNormBias, l, hidden);
        layer.wq = load.matrix(Q, l, q_dim, hidden);
        layer.wk = load.matrix(K, l, kv_dim, hidden);
        layer.wv = load.matrix(V, l, kv_dim, hidden);
        layer.wo = load.matrix(O, l, hidden, q_dim);
        if (config.qkv_bias) {
            layer.bq = load.vector(QBias, l, q_dim);
            layer.bk = load.vector(KBias, l, kv_dim);
            layer.bv = load.vector(VBias, l, kv_dim);
        }
        layer.ffn_norm = load.vector(FfnNorm, l, hidden);
        if (layer_norm) layer.ffn_norm_bias = load.optional_vector(FfnNormBias, l, hidden);
        layer.w_gate = load.matrix(Gate, l, ffn, hidden);
        layer.w_up = load.matrix(Up, l, ffn, hidden);
        layer.w_down = load.matrix(Down, l, hidden, ffn);
    }
    w.output_norm = load.vector(OutputNorm, 0, hidden);
    if (load.has(Output))
        w.output = load.matrix(Output, 0, config.vocab_size, hidden);
    else if (config.tied_embeddings)
        w.output = w.token_embedding;
    else
        fail(
            "the model has no output matrix ('lm_head.weight' / 'output.weight') and its config does not "
            "tie it to the token embedding");
    return w;
}

}  // namespace

ModelWeights load_weights(const TensorSet& tensors, const ModelConfig& config, const TensorNames& names,
                          Backend& backend, const WeightLoadOptions& options) {
    // Checking every tensor and adding up their bytes first refuses a model that lacks a tensor or does
    // not fit the backend's memory before anything is converted or uploaded.
    WeightLoader measure(tensors, names, config, nullptr, options, WeightLoader::Mode::Measure);
    collect_weights(measure, config);
    backend.check_model_fits({measure.measured_bytes(), options.session_bytes, options.session_tokens});

    WeightLoader load(tensors, names, config, &backend, options, WeightLoader::Mode::Upload);
    ModelWeights w = collect_weights(load, config);
    std::vector<float> inv_freq = rope_inv_freq(config);
    if (load.has(WeightId::RopeFreqs)) {
        Tensor divisors_tensor = load.vector(WeightId::RopeFreqs, 0, static_cast<int64_t>(inv_freq.size()));
        std::vector<float> divisors(inv_freq.size());
        backend.read(divisors_tensor, divisors);
        for (size_t i = 0; i < inv_freq.size(); ++i)
            inv_freq[i] /= divisors[i];
    }
    w.rope_inv_freq = backend.allocate(DType::F32, 1, static_cast<int64_t>(inv_freq.size()));
    backend.write(w.rope_inv_freq, inv_freq);
    return w;
}

void check_weights(const TensorSet& tensors, const ModelConfig& config, const TensorNames& names) {
    WeightLoadOptions options;
    WeightLoader check(tensors, names, config, nullptr, options, WeightLoader::Mode::Measure);
    collect_weights(check, config);
}

}  // namespace loom
