#include "model/weights.h"

#include <cstring>

#include "kernels/convert.h"
#include "util/error.h"

namespace loom {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

class WeightLoader {
  public:
    WeightLoader(const TensorSet& tensors, const TensorNames& names, Backend& backend,
                 const WeightLoadOptions& options)
        : tensors_(tensors),
          names_(names),
          backend_(backend),
          options_(options),
          files_(std::make_shared<std::vector<std::shared_ptr<const MappedFile>>>(tensors.files())) {
        scheme_ = detect_scheme();
        total_bytes_ = static_cast<double>(tensors.total_bytes());
    }

    bool has(WeightId id, int layer = 0) const { return find(id, layer) != nullptr; }

    // A weight matrix [rows, cols]; converted to options.matrix_type when one is asked for.
    Tensor matrix(WeightId id, int layer, int64_t rows, int64_t cols) {
        const StoredTensor& stored = require(id, layer);
        check_shape(stored, {rows, cols});
        DType target = options_.matrix_type.value_or(stored.dtype);
        if (target == stored.dtype) return upload_in_place(stored, rows, cols);
        if (!row_fits_blocks(target, cols))
            fail("cannot store '", stored.name, "' as ", dtype_name(target), ": its rows of ", cols,
                 " values are not a whole number of ", dtype_info(target).block_elements, "-value blocks");
        auto converted =
            std::make_shared<std::vector<std::byte>>(static_cast<size_t>(rows) * row_bytes(target, cols));
        std::vector<float> row(static_cast<size_t>(cols));
        size_t stored_row = row_bytes(stored.dtype, cols), target_row = row_bytes(target, cols);
        for (int64_t r = 0; r < rows; ++r) {
            row_to_float(stored.dtype, stored.data.data() + r * stored_row, cols, row.data());
            row_from_float(target, row.data(), cols, converted->data() + r * target_row);
        }
        return upload_owned(converted, target, rows, cols, stored.data.size());
    }

    // A vector [1, n] (norm weight, bias), always converted to F32: they are tiny and every backend op
    // reads them as F32.
    Tensor vector(WeightId id, int layer, int64_t n) {
        const StoredTensor& stored = require(id, layer);
        check_shape(stored, {n});
        auto values = std::make_shared<std::vector<std::byte>>(static_cast<size_t>(n) * sizeof(float));
        row_to_float(stored.dtype, stored.data.data(), n, reinterpret_cast<float*>(values->data()));
        return upload_owned(values, DType::F32, 1, n, stored.data.size());
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

    Tensor upload_in_place(const StoredTensor& stored, int64_t rows, int64_t cols) {
        HostTensor host{stored.dtype, rows, cols, stored.data, files_};
        Tensor t = backend_.upload(host);
        advance(stored.data.size());
        return t;
    }

    Tensor upload_owned(const std::shared_ptr<std::vector<std::byte>>& bytes, DType dtype, int64_t rows,
                        int64_t cols, size_t stored_bytes) {
        HostTensor host{dtype, rows, cols, std::span<const std::byte>(*bytes), bytes};
        Tensor t = backend_.upload(host);
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
    Backend& backend_;
    const WeightLoadOptions& options_;
    std::shared_ptr<std::vector<std::shared_ptr<const MappedFile>>> files_;
    TensorNames::Scheme scheme_;
    double total_bytes_ = 0, done_bytes_ = 0;
};

}  // namespace

ModelWeights load_weights(const TensorSet& tensors, const ModelConfig& config, const TensorNames& names,
                          Backend& backend, const WeightLoadOptions& options) {
    using enum WeightId;
    WeightLoader load(tensors, names, backend, options);
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
            "the model has no output matrix ('lm_head.weight' / 'output.weight') and its config does not tie "
            "it "
            "to the token embedding");

    std::vector<float> inv_freq = rope_inv_freq(config);
    if (load.has(RopeFreqs)) {
        Tensor divisors_tensor = load.vector(RopeFreqs, 0, static_cast<int64_t>(inv_freq.size()));
        std::vector<float> divisors(inv_freq.size());
        backend.read(divisors_tensor, divisors);
        for (size_t i = 0; i < inv_freq.size(); ++i)
            inv_freq[i] /= divisors[i];
    }
    w.rope_inv_freq = backend.allocate(DType::F32, 1, static_cast<int64_t>(inv_freq.size()));
    backend.write(w.rope_inv_freq, inv_freq);
    return w;
}

}  // namespace loom
