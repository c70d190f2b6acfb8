// Saving a Hugging Face model folder as a GGUF file, optionally quantized: the file Loom and other GGUF
// readers (llama.cpp) open, with the architecture's metadata, the tokenizer (tokenizer.ggml.*), the chat
// template, and the weights in the GGUF conventions (Llama q/k rows in interleaved-pair RoPE order).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>

#include "model/quant_scheme.h"

namespace loom {

struct GgufExportOptions {
    std::optional<QuantScheme> scheme;  // nullopt keeps the stored types (1-D tensors are always F32)
    // Called with the fraction done; return false to cancel (throws Cancelled; nothing is left behind).
    std::function<bool(double fraction)> progress;
};

// Throws Error if the model cannot be read or expressed in GGUF.
void export_gguf(const std::filesystem::path& model_dir, const std::filesystem::path& output,
                 const GgufExportOptions& options = {});

}  // namespace loom
