// Renders a conversation into the prompt text a chat model was trained on, using the model's own Jinja
// template (tokenizer_config.json "chat_template", GGUF "tokenizer.chat_template").
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace loom {

struct ChatMessage {
    std::string role;  // "system", "user", "assistant"
    std::string content;
};

struct ChatTemplateOptions {
    bool add_generation_prompt = true;  // end with the header of the assistant's turn
    std::string bos_token;              // the tokenizer's bos/eos texts, which templates may print
    std::string eos_token;
    // The local date and time the template's strftime_now() reads (Llama 3.2 prints "Today Date: 26 Jul 2024"
    // from it). Unset: the clock at render time; set it for reproducible prompts.
    std::optional<std::chrono::local_seconds> now;
};

namespace jinja {
class Template;
}

// Templates are rendered as Hugging Face's transformers renders them (apply_chat_template): Jinja2 with
// trim_blocks and lstrip_blocks on, raise_exception() and strftime_now() available, `messages`,
// `add_generation_prompt`, `bos_token` and `eos_token` set, and `tools` and `documents` set to none.
class ChatTemplate {
  public:
    // Parses a template; throws Error naming the line and column of a syntax error.
    explicit ChatTemplate(const std::string& source);
    ChatTemplate(ChatTemplate&&) noexcept;
    ChatTemplate& operator=(ChatTemplate&&) noexcept;
    ~ChatTemplate();

    // Throws Error when the template raises (e.g. "Conversation roles must alternate") or fails.
    std::string render(std::span<const ChatMessage> messages, const ChatTemplateOptions& options) const;

    const std::string& source() const { return source_; }

  private:
    std::string source_;
    std::unique_ptr<jinja::Template> template_;
};

// The chat template of a Hugging Face model folder, or nothing if it has none: chat_template.jinja when
// present (newer uploads keep the template there), else tokenizer_config.json's "chat_template" (the
// "default" one when it is a list of named templates). Throws Error for malformed files or a list without a
// "default" template.
std::optional<std::string> read_hf_chat_template(const std::filesystem::path& model_dir);

}  // namespace loom
