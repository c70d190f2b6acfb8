#include "api/logit_lens.h"

#include "util/error.h"

namespace loom {

std::vector<std::vector<TokenProbability>> logit_lens(const Model& model,
                                                      std::span<const float> hidden_states, int top) {
    const ModelConfig& config = model.config();
    if (hidden_states.empty() || hidden_states.size() % static_cast<size_t>(config.hidden_size) != 0)
        fail("logit lens: expected rows of ", config.hidden_size, " values");
    const int64_t rows = static_cast<int64_t>(hidden_states.size()) / config.hidden_size;
    Backend& backend = model.backend();
    Tensor input = backend.allocate(DType::F32, rows, config.hidden_size);
    Tensor normed = backend.allocate(DType::F32, rows, config.hidden_size);
    Tensor logits = backend.allocate(DType::F32, rows, config.vocab_size);
    backend.write(input, hidden_states);
    if (config.norm == NormKind::RmsNorm)
        backend.rms_norm(input, model.weights().output_norm, config.norm_eps, normed);
    else
        backend.layer_norm(input, model.weights().output_norm, Tensor{}, config.norm_eps, normed);
    backend.matmul(normed, model.weights().output, logits);
    std::vector<float> values(static_cast<size_t>(rows * config.vocab_size));
    backend.read(logits, values);

    std::vector<std::vector<TokenProbability>> result;
    for (int64_t r = 0; r < rows; ++r)
        result.push_back(
            top_logprobs(std::span<const float>(values).subspan(static_cast<size_t>(r * config.vocab_size),
                                                                static_cast<size_t>(config.vocab_size)),
                         top));
    return result;
}

}  // namespace loom
