#include "worker/conversation_prompt.h"

#include "api/chat_prompt.h"

namespace loom::ui {

std::vector<loom::ChatMessage> chat_messages(const QString& systemPrompt, const QVector<Message>& messages) {
    std::vector<loom::ChatMessage> chat;
    if (!systemPrompt.trimmed().isEmpty()) chat.push_back({"system", systemPrompt.toStdString()});
    for (const Message& message : messages)
        chat.push_back({message.role.toStdString(), message.content.toStdString()});
    return chat;
}

std::vector<int32_t> conversation_tokens(const loom::Model& model, const QString& systemPrompt,
                                         const QVector<Message>& messages) {
    if (messages.isEmpty() || !messages.back().isAssistant())
        return loom::build_chat_prompt(model, chat_messages(systemPrompt, messages)).tokens;

    const Message& reply = messages.back();
    std::vector<int32_t> tokens =
        loom::build_chat_prompt(model, chat_messages(systemPrompt, messages.mid(0, messages.size() - 1)))
            .tokens;
    if (reply.model == QString::fromStdString(model.path().string()) && !reply.tokens.isEmpty()) {
        for (const ReplyToken& token : reply.tokens)
            tokens.push_back(token.id);
    } else {
        loom::EncodeOptions plain;
        plain.add_special = false;
        plain.parse_special = false;
        std::vector<int32_t> encoded = model.tokenizer().encode(reply.content.toStdString(), plain);
        tokens.insert(tokens.end(), encoded.begin(), encoded.end());
    }
    return tokens;
}

}  // namespace loom::ui
