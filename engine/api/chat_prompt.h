// A conversation turned into the tokens a model expects: through the model's own chat template when it has
// one, else as plain text to continue (completion models such as the built-in stories260K).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "model/model.h"

namespace loom {

struct ChatPrompt {
    std::vector<int32_t> tokens;
    std::string text;            // what was tokenized (special tokens written out)
    bool used_template = false;  // false: plain completion
};

// With a template: rendered with add_generation_prompt and tokenized without adding special tokens, as
// Hugging Face's apply_chat_template does (templates write their own BOS). Without one: the messages'
// contents joined as they are, with the tokenizer's BOS. Throws Error if the template raises (e.g. a model
// whose template refuses system messages) or the prompt is empty.
ChatPrompt build_chat_prompt(const Model& model, std::span<const ChatMessage> messages);

}  // namespace loom
