// The weights of a decoder-only transformer, uploaded to a backend. Shapes follow the stored
// [out_features, in_features] convention: a matmul computes x . W^T.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "backend/backend.h"
#include "formats/tensor_set.h"
#include "model/model_config.h"
#include "model/quant_scheme.h"
#include "model/tensor_names.h"

namespace loom {

struct LayerWeights {
    Tensor attn_norm;       // [1, hidden]
    Tensor attn_norm_bias;  // [1, hidden]            layer-norm models only
    Tensor wq;              // [heads * head_dim, hidden]
    Tensor wk;              // [kv_heads * head_dim, hidden]
    Tensor wv;              // [kv_heads * head_dim, hidden]
    Tensor wo;              // [hidden, heads * head_dim]
    Tensor bq, bk, bv;      // [1, q_dim], [1, kv_dim], [1, kv_dim]   when the model has q/k/v biases
    Tensor ffn_norm;        // [1, hidden]
    Tensor ffn_norm_bias;   // [1, hidden]            layer-norm models only
    Tensor w_gate;          // [ffn, hidden]
    Tensor w_up;            // [ffn, hidden]
    Tensor w_down;          // [hidden, ffn]
};

struct ModelWeights {
    Tensor token_embedding;  // [vocab, hidden]
    Tensor output_norm;      // [1, hidden]
    Tensor output;           // [vocab, hidden]; the token embedding itself when tied
    Tensor rope_inv_freq;    // [1, rotary_dims / 2], computed from the config
    std::vector<LayerWeights> layers;
};

struct WeightLoadOptions {
    // Store matrices as this scheme says (converting or quantizing on load); nullopt keeps the file's types.
    std::optional<QuantScheme> scheme;
    // Called after each tensor with the fraction done; returning false cancels the load (throws Cancelled).
    std::function<bool(double fraction)> progress;
    // One conversation (Session::memory_bytes), which must fit beside the weights: a backend with room for
    // the weights alone refuses the model before it is uploaded.
    uint64_t session_bytes = 0;
    int64_t session_tokens = 0;
};

// Thrown when a progress callback asks to stop.
class Cancelled : public std::runtime_error {
  public:
    Cancelled() : std::runtime_error("cancelled") {}
};

// Finds every weight the config needs in `tensors` (by the names in `names`), checks its shape, converts
// vectors (norms, biases) to F32 and uploads everything to `backend`. Throws Error naming a missing tensor
// or a wrong shape.
ModelWeights load_weights(const TensorSet& tensors, const ModelConfig& config, const TensorNames& names,
                          Backend& backend, const WeightLoadOptions& options);

// The same lookups and shape checks as load_weights, without reading or uploading any data: whether the
// files hold what the config needs. Throws the Error load_weights would.
void check_weights(const TensorSet& tensors, const ModelConfig& config, const TensorNames& names);

}  // namespace loom
