// Renders a conversation into the prompt text a chat model was trained on, using the model's own Jinja
// template (tokenizer_config.json "chat_template", GGUF "tokenizer.chat_template").
#pragma once

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
};

namespace jinja {
class Template;
}

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

// The "chat_template" of a Hugging Face model folder's tokenizer_config.json (the "default" one when it is a
// list of named templates), or nothing.
std::optional<std::string> read_hf_chat_template(const std::filesystem::path& model_dir);

}  // namespace loom
