// The logit lens: what each layer's hidden state would predict if the model stopped there, read through
// the final norm and the output matrix.
#pragma once

#include <span>
#include <vector>

#include "model/model.h"
#include "sampling/sampler.h"

namespace loom {

// `hidden_states` holds `rows` hidden states [rows, hidden] (e.g. every layer of one position). Returns, per
// row, the `top` most likely tokens. Runs on the model's backend: call it from the thread that runs the
// model's sessions.
std::vector<std::vector<TokenProbability>> logit_lens(const Model& model,
                                                      std::span<const float> hidden_states, int top);

}  // namespace loom
