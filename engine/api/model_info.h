// What a model on disk is, read from its headers without loading its weights: for the model browser, the
// CLI's `inspect`, and the error a user sees before a load is even tried.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "formats/tensor_set.h"
#include "model/model_config.h"

namespace loom {

struct TensorSummary {
    std::string name;
    std::string dtype;
    std::vector<int64_t> shape;
};

struct ModelDescription {
    std::filesystem::path path;
    std::string format;                 // "safetensors" or "GGUF"
    std::string architecture;           // the engine's name, or the file's own word for it when unsupported
    std::optional<ModelConfig> config;  // when the architecture is supported and its config is valid
    int64_t parameters = 0;
    std::string dtypes;  // e.g. "BF16" or "F32, Q4_K, Q6_K"
    uint64_t bytes_on_disk = 0;
    std::string tokenizer;  // "byte-level BPE", "SentencePiece BPE"; empty if none
    bool has_chat_template = false;
    std::vector<TensorSummary> tensors;

    bool runnable = false;
    std::string problem;  // why it cannot run, in plain words; empty when runnable
};

struct DescribeOptions {
    bool list_tensors = false;
    // Bytes of memory the weights may take; 0: the machine's available memory.
    uint64_t memory_budget = 0;
};

// Never throws for a bad model: problems end up in `problem`. Throws Error only if `path` does not exist.
ModelDescription describe_model(const std::filesystem::path& path, const DescribeOptions& options = {});

}  // namespace loom
