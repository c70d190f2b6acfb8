#include "api/chat_prompt.h"

#include "util/error.h"

namespace loom {

ChatPrompt build_chat_prompt(const Model& model, std::span<const ChatMessage> messages) {
    const Tokenizer& tokenizer = model.tokenizer();
    ChatPrompt prompt;
    EncodeOptions encode;
    if (model.chat_template()) {
        ChatTemplate chat_template(*model.chat_template());
        ChatTemplateOptions options;
        options.add_generation_prompt = true;
        if (auto bos = tokenizer.special().bos) options.bos_token = tokenizer.piece(*bos);
        if (auto eos = tokenizer.special().eos) options.eos_token = tokenizer.piece(*eos);
        prompt.text = chat_template.render(messages, options);
        prompt.used_template = true;
        encode.add_special = false;
    } else {
        for (const ChatMessage& message : messages)
            prompt.text += message.content;
    }
    prompt.tokens = tokenizer.encode(prompt.text, encode);
    if (prompt.tokens.empty()) {
        if (!tokenizer.special().bos) fail("the prompt is empty: write something first");
        prompt.tokens.push_back(*tokenizer.special().bos);
    }
    return prompt;
}

}  // namespace loom
