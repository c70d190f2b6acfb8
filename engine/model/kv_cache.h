// Keys and values of every position seen so far, per layer, on the model's backend.
#pragma once

#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"

namespace loom {

struct KvCache {
    KvCache(Backend& backend, const ModelConfig& config, int64_t capacity) : capacity(capacity) {
        for (int l = 0; l < config.layers; ++l) {
            keys.push_back(backend.allocate(DType::F32, capacity, config.kv_dim()));
            values.push_back(backend.allocate(DType::F32, capacity, config.kv_dim()));
        }
    }

    int64_t capacity;            // positions it can hold
    std::vector<Tensor> keys;    // per layer [capacity, kv_heads * head_dim], row = position
    std::vector<Tensor> values;  // per layer [capacity, kv_heads * head_dim]
};

}  // namespace loom
