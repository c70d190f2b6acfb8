#include "api/model_info.h"

#include <fstream>
#include <map>
#include <set>

#include "chat/chat_template.h"
#include "formats/gguf.h"
#include "formats/gguf_keys.h"
#include "formats/hf_cache.h"
#include "formats/json_fields.h"
#include "formats/safetensors.h"
#include "model/architecture.h"
#include "model/weights.h"
#include "tokenizer/gguf_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/system_memory.h"

namespace loom {

namespace fs = std::filesystem;

namespace {

uint64_t folder_bytes(const fs::path& folder) {
    uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        auto size = fs::file_size(entry.path(), ec);  // follows links into the HF cache's blobs/
        if (!ec) total += size;
        ec.clear();
    }
    return total;
}

std::string human_bytes(uint64_t bytes) {
    double value = static_cast<double>(bytes);
    const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
    int unit = 0;
    while (value >= 1000 && unit < 4) {
        value /= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

void summarise_tensors(const TensorSet& tensors, ModelDescription& d, bool list) {
    std::set<std::string> types;
    for (const StoredTensor& t : tensors.all()) {
        d.parameters += t.elements();
        if (t.shape.size() >= 2) types.insert(std::string(dtype_name(t.dtype)));
        if (list) d.tensors.push_back({t.name, std::string(dtype_name(t.dtype)), t.shape});
    }
    for (const std::string& type : types)
        d.dtypes += (d.dtypes.empty() ? "" : ", ") + type;
}

void check_memory(uint64_t weights, const DescribeOptions& options, ModelDescription& d) {
    uint64_t budget = options.memory_budget ? options.memory_budget : available_memory_bytes();
    if (budget && weights > budget) {
        d.problem = "too big for this machine's memory: its weights take " + human_bytes(weights) + ", " +
                    human_bytes(budget) + " is available";
        return;
    }
    d.runnable = true;
}

void describe_hf_folder(const fs::path& folder, const DescribeOptions& options, ModelDescription& d) {
    d.format = "safetensors";
    d.bytes_on_disk = folder_bytes(folder);
    fs::path config_path = folder / "config.json";
    if (!fs::exists(config_path)) {
        d.problem = "no config.json: not a Hugging Face model folder";
        return;
    }
    nlohmann::json config_json = read_json_file(config_path);
    JsonFields config(config_json, "config.json");
    std::string model_type = config.string_if("model_type").value_or("");
    if (model_type.empty()) {
        d.architecture = "unknown";
        d.problem = "config.json has no model_type, so the architecture is unknown";
        return;
    }
    d.architecture = model_type;
    const Architecture* arch = find_architecture_by_hf_type(model_type);

    TensorSet tensors = read_safetensors_folder(folder);
    summarise_tensors(tensors, d, options.list_tensors);

    if (fs::exists(folder / "tokenizer.json")) {
        try {
            d.tokenizer = Tokenizer::from_hf_folder(folder).kind();
        } catch (const Error& e) {
            d.problem = std::string("its tokenizer cannot be read: ") + e.what();
        }
    }
    d.has_chat_template = read_hf_chat_template(folder).has_value();

    if (!arch) {
        d.problem = unsupported_architecture_message(model_type);
        return;
    }
    d.architecture = std::string(arch->name);
    d.config = arch->config_from_hf(config);
    d.config->architecture = d.architecture;
    d.config->validate();
    check_weights(tensors, *d.config, arch->tensor_names());
    if (!d.problem.empty()) return;
    if (d.tokenizer.empty()) {
        d.problem = "no tokenizer.json: the model's tokenizer is missing";
        return;
    }
    check_memory(tensors.total_bytes(), options, d);
}

void describe_gguf_file(const fs::path& file, const DescribeOptions& options, ModelDescription& d) {
    d.format = "GGUF";
    d.bytes_on_disk = fs::file_size(file);
    GgufFile gguf = GgufFile::open(file.string());
    TensorSet tensors = gguf.tensor_set();
    summarise_tensors(tensors, d, options.list_tensors);
    d.architecture =
        std::string(gguf.metadata().get_string(gguf::key::kGeneralArchitecture).value_or("unknown"));
    d.has_chat_template = gguf.metadata().get_string(gguf::key::kTokenizerChatTemplate).has_value();
    try {
        d.tokenizer = tokenizer_from_gguf(gguf.metadata()).kind();
    } catch (const Error& e) {
        d.problem = std::string("its tokenizer cannot be read: ") + e.what();
    }
    const Architecture* arch = find_architecture_by_gguf_name(d.architecture);
    if (!arch) {
        d.problem = unsupported_architecture_message(d.architecture);
        return;
    }
    d.config = arch->config_from_gguf(gguf);
    d.config->architecture = d.architecture;
    d.config->validate();
    check_weights(tensors, *d.config, arch->tensor_names());
    if (!d.problem.empty()) return;
    check_memory(tensors.total_bytes(), options, d);
}

}  // namespace

ModelDescription describe_model(const fs::path& path, const DescribeOptions& options) {
    if (!fs::exists(path)) fail("no model at ", path.string());
    ModelDescription d;
    d.path = path;
    try {
        check_snapshot_links(path);
        if (fs::is_directory(path)) {
            describe_hf_folder(path, options, d);
        } else if (path.extension() == ".gguf") {
            describe_gguf_file(path, options, d);
        } else {
            d.format = "unknown";
            d.bytes_on_disk = fs::file_size(path);
            d.problem = "not a model: Loom reads model folders and .gguf files";
        }
    } catch (const Error& e) {
        d.runnable = false;
        d.problem = e.what();
    }
    return d;
}

}  // namespace loom
