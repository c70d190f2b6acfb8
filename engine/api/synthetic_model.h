// Random-weight models of real shapes, written as Hugging Face folders, for benchmarks: speed depends on
// shapes and types, not on what the weights say.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tensor/dtype.h"

namespace loom {

struct SyntheticModelSpec {
    std::string architecture = "qwen2";  // "llama" or "qwen2"
    int64_t hidden = 896;
    int layers = 24;
    int heads = 14;
    int kv_heads = 2;
    int64_t ffn = 4864;
    int64_t vocab = 151936;
    int64_t context = 32768;
    bool tied_embeddings = true;
    DType dtype = DType::BF16;  // F32, F16 or BF16
    uint64_t seed = 1;

    // The shape of Qwen2.5-0.5B (494M parameters).
    static SyntheticModelSpec qwen2_5_0_5b(DType dtype);
    // A small F32 model (2 layers, GQA, qwen2 with tied embeddings) whose rows are 256 values long, so that
    // converting it to any GGUF type (K-quants need 256) keeps every matrix in that type: for tests.
    static SyntheticModelSpec small_for_every_type(const std::string& architecture);
};

// Writes config.json, model.safetensors, and a byte-level tokenizer (tokenizer.json, tokenizer_config.json)
// into `folder`, creating it. Weights are uniform random with the spread of a trained model's.
void write_synthetic_model(const SyntheticModelSpec& spec, const std::filesystem::path& folder);

}  // namespace loom
