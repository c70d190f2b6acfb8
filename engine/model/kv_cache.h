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

    // What one takes on a backend, before alignment.
    static uint64_t bytes(const ModelConfig& config, int64_t capacity) {
        return uint64_t{2} * static_cast<uint64_t>(config.layers) * static_cast<uint64_t>(capacity) *
               static_cast<uint64_t>(config.kv_dim()) * sizeof(float);
    }

    int64_t capacity;            // positions it can hold
    std::vector<Tensor> keys;    // per layer [capacity, kv_heads * head_dim], row = position
    std::vector<Tensor> values;  // per layer [capacity, kv_heads * head_dim]
};

}  // namespace loom
