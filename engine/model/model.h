// A loaded model: its architecture, hyper-parameters, tokenizer, chat template and weights on a backend.
// Load it once; run it through Sessions (model/session.h).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "formats/tensor_set.h"
#include "model/architecture.h"
#include "model/model_config.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace loom {

struct LoadOptions {
    std::string
        model;  // a model folder, a .gguf file, a Hugging Face snapshot, or "org/name" in the HF cache
    // The backend to run on; null means a CPU backend with `threads` threads (0: one per core).
    std::shared_ptr<Backend> backend;
    int threads = 0;
    // Convert or quantize weight matrices on load: a QuantScheme name such as "Q8_0", "Q4_0", "Q4_K_M",
    // "F16"; empty keeps the stored types.
    std::string weight_type;
    // Called with the fraction loaded; return false to cancel (load() then throws Cancelled).
    std::function<bool(double fraction)> progress;
};

class Model {
  public:
    // Throws Error saying what is missing or unsupported; Cancelled if the progress callback stopped it.
    static std::shared_ptr<Model> load(const LoadOptions& options);

    const std::filesystem::path& path() const { return path_; }
    const Architecture& architecture() const { return *architecture_; }
    const ModelConfig& config() const { return config_; }
    const ModelWeights& weights() const { return weights_; }
    Backend& backend() const { return *backend_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    // The Jinja chat template from the model's files, if it has one.
    const std::optional<std::string>& chat_template() const { return chat_template_; }
    // The licence a GGUF file's metadata states (general.license, with its name and link when given), if
    // any. A folder's LICENSE files and model card are read by whoever shows them (the app's About box).
    const std::optional<std::string>& licence() const { return licence_; }
    int64_t parameter_count() const { return parameter_count_; }
    // The stored types of the weight matrices, e.g. "F32" or "Q4_K, Q6_K".
    const std::string& weight_types() const { return weight_types_; }
    // Bytes of weights a decode step reads (every matrix once).
    uint64_t weight_bytes() const { return weight_bytes_; }

  private:
    Model() = default;
    struct Files;
    static Files read_hf_folder(const std::filesystem::path& path);
    static Files read_gguf_file(const std::filesystem::path& path);

    std::filesystem::path path_;
    const Architecture* architecture_ = nullptr;
    ModelConfig config_;
    std::shared_ptr<Backend> backend_;
    ModelWeights weights_;
    std::optional<Tokenizer> tokenizer_;
    std::optional<std::string> chat_template_;
    std::optional<std::string> licence_;
    int64_t parameter_count_ = 0;
    std::string weight_types_;
    uint64_t weight_bytes_ = 0;
};

}  // namespace loom
