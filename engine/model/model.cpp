#include "model/model.h"

#include <set>
#include <thread>

#include "backend/cpu_backend.h"
#include "chat/chat_template.h"
#include "formats/gguf.h"
#include "formats/gguf_keys.h"
#include "formats/hf_cache.h"
#include "formats/json_fields.h"
#include "formats/safetensors.h"
#include "model/session.h"
#include "tokenizer/gguf_tokenizer.h"
#include "util/error.h"

namespace loom {

namespace fs = std::filesystem;

namespace {

int default_threads() {
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : static_cast<int>(cores);
}

const Architecture& architecture_from_hf_config(const JsonFields& config) {
    std::string model_type = config.string_if("model_type").value_or("");
    if (model_type.empty())
        fail(config.source(), ": field 'model_type' is missing, so the architecture is unknown");
    const Architecture* arch = find_architecture_by_hf_type(model_type);
    if (!arch) fail(unsupported_architecture_message(model_type));
    return *arch;
}

}  // namespace

// What a model's files provide before its weights are uploaded.
struct Model::Files {
    const Architecture* architecture = nullptr;
    ModelConfig config;
    std::optional<Tokenizer> tokenizer;
    std::optional<std::string> chat_template;
    std::optional<std::string> licence;
    TensorSet tensors;
};

Model::Files Model::read_hf_folder(const fs::path& path) {
    check_snapshot_links(path);
    fs::path config_path = path / "config.json";
    if (!fs::exists(config_path))
        fail(path.string(), " has no config.json: it is not a Hugging Face model folder");
    nlohmann::json config_json = read_json_file(config_path);
    JsonFields config(config_json, config_path.string());
    Files files;
    files.architecture = &architecture_from_hf_config(config);
    files.config = files.architecture->config_from_hf(config);
    if (!fs::exists(path / "tokenizer.json"))
        fail(path.string(),
             " has no tokenizer.json: Loom needs the Hugging Face tokenizer file to run the model");
    files.tokenizer.emplace(Tokenizer::from_hf_folder(path));
    files.chat_template = read_hf_chat_template(path);
    files.tensors = read_safetensors_folder(path);
    return files;
}

Model::Files Model::read_gguf_file(const fs::path& path) {
    GgufFile gguf = GgufFile::open(path.string());
    std::string name(gguf.metadata().require_string(gguf::key::kGeneralArchitecture));
    Files files;
    files.architecture = find_architecture_by_gguf_name(name);
    if (!files.architecture) fail(unsupported_architecture_message(name));
    files.config = files.architecture->config_from_gguf(gguf);
    files.tokenizer.emplace(tokenizer_from_gguf(gguf.metadata()));
    if (auto chat_template = gguf.metadata().get_string(gguf::key::kTokenizerChatTemplate))
        files.chat_template = std::string(*chat_template);
    // "apache-2.0"; or "other", named and linked by the two keys after it.
    std::string licence;
    for (std::string_view key :
         {gguf::key::kGeneralLicense, gguf::key::kGeneralLicenseName, gguf::key::kGeneralLicenseLink}) {
        std::optional<std::string_view> part = gguf.metadata().get_string(key);
        if (!part || part->empty()) continue;
        if (!licence.empty()) licence += key == gguf::key::kGeneralLicenseLink ? ", " : ": ";
        licence += *part;
    }
    if (!licence.empty()) files.licence = std::move(licence);
    files.tensors = gguf.tensor_set();
    return files;
}

std::shared_ptr<Model> Model::load(const LoadOptions& options) {
    std::shared_ptr<Model> model(new Model());
    model->path_ = resolve_model_location(options.model);
    const fs::path& path = model->path_;
    Files files;
    if (fs::is_directory(path))
        files = read_hf_folder(path);
    else if (path.extension() == ".gguf")
        files = read_gguf_file(path);
    else
        fail(path.string(), " is neither a model folder nor a .gguf file");

    model->architecture_ = files.architecture;
    model->config_ = std::move(files.config);
    model->config_.architecture = std::string(model->architecture_->name);
    model->config_.validate();
    model->tokenizer_ = std::move(files.tokenizer);
    model->chat_template_ = std::move(files.chat_template);
    model->licence_ = std::move(files.licence);
    const TensorSet& tensors = files.tensors;

    model->backend_ = options.backend ? options.backend
                                      : std::make_shared<CpuBackend>(options.threads > 0 ? options.threads
                                                                                         : default_threads());
    WeightLoadOptions weight_options;
    if (!options.weight_type.empty()) weight_options.scheme = QuantScheme::parse(options.weight_type);
    weight_options.progress = options.progress;
    weight_options.session_bytes = Session::memory_bytes(model->config_, {});
    weight_options.session_tokens = Session::context_tokens(model->config_, {});
    model->weights_ = load_weights(tensors, model->config_, model->architecture_->tensor_names(),
                                   *model->backend_, weight_options);

    for (const StoredTensor& t : tensors.all())
        model->parameter_count_ += t.elements();
    std::set<std::string_view> types;
    const ModelWeights& w = model->weights_;
    auto count_matrix = [&](const Tensor& m) {
        types.insert(dtype_name(m.dtype));
        model->weight_bytes_ += m.bytes();
    };
    for (const LayerWeights& layer : w.layers)
        for (const Tensor* m :
             {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down})
            count_matrix(*m);
    count_matrix(w.output);
    for (std::string_view type : types)
        model->weight_types_ += (model->weight_types_.empty() ? "" : ", ") + std::string(type);
    return model;
}

}  // namespace loom
