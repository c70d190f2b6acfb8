#include "chat/chat_template.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chat/jinja/template.h"
#include "util/error.h"

namespace loom {

ChatTemplate::ChatTemplate(const std::string& source)
    : source_(source), template_(std::make_unique<jinja::Template>(source, jinja::SyntaxOptions{})) {}

ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

std::string ChatTemplate::render(std::span<const ChatMessage> messages,
                                 const ChatTemplateOptions& options) const {
    std::vector<jinja::Value> message_values;
    message_values.reserve(messages.size());
    for (const ChatMessage& message : messages) {
        jinja::Dict entry;
        entry.set("role", jinja::Value(message.role));
        entry.set("content", jinja::Value(message.content));
        message_values.push_back(jinja::Value::dict(std::move(entry)));
    }

    // The variables transformers' apply_chat_template passes: tools and documents are None when not given,
    // which templates test with `tools is not none` (Llama 3.x, Mistral) or plain `if tools` (Qwen2.5).
    jinja::Dict variables;
    variables.set("messages", jinja::Value::list(std::move(message_values)));
    variables.set("add_generation_prompt", jinja::Value(options.add_generation_prompt));
    variables.set("bos_token", jinja::Value(options.bos_token));
    variables.set("eos_token", jinja::Value(options.eos_token));
    variables.set("tools", jinja::Value::none());
    variables.set("documents", jinja::Value::none());

    jinja::RenderOptions render_options;
    render_options.now = options.now;
    return template_->render(variables, render_options);
}

namespace {

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read ", path.string());
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) fail("cannot read ", path.string());
    return text.str();
}

// tokenizer_config.json holds either one template or a list of {"name", "template"} entries.
std::optional<std::string> template_from_config(const nlohmann::json& chat_template,
                                                const std::string& file) {
    if (chat_template.is_null()) return std::nullopt;
    if (chat_template.is_string()) return chat_template.get<std::string>();
    if (!chat_template.is_array())
        fail(file, ": \"chat_template\" should be a string or a list of named templates, not ",
             chat_template.type_name());
    std::string names;
    for (const auto& entry : chat_template) {
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
            !entry.contains("template") || !entry["template"].is_string())
            fail(file, ": each entry of \"chat_template\" should be {\"name\": ..., \"template\": ...}");
        if (entry["name"] == "default") return entry["template"].get<std::string>();
        names += (names.empty() ? "" : ", ") + entry["name"].get<std::string>();
    }
    fail(file, " has named chat templates (", names,
         ") but none called \"default\"; Loom renders the default one");
}

}  // namespace

std::optional<std::string> read_hf_chat_template(const std::filesystem::path& model_dir) {
    std::filesystem::path jinja_file = model_dir / "chat_template.jinja";
    if (std::filesystem::exists(jinja_file)) return read_text_file(jinja_file);

    std::filesystem::path config_file = model_dir / "tokenizer_config.json";
    if (!std::filesystem::exists(config_file)) return std::nullopt;
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(read_text_file(config_file));
    } catch (const nlohmann::json::exception& e) {
        fail(config_file.string(), " is not valid JSON: ", e.what());
    }
    if (!config.is_object()) fail(config_file.string(), " should hold a JSON object");
    auto it = config.find("chat_template");
    if (it == config.end()) return std::nullopt;
    return template_from_config(*it, config_file.string());
}

}  // namespace loom
