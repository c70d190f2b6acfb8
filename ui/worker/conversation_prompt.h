// A chat conversation (Qt values from the GUI) turned into what the engine takes: chat messages for the
// model's template, and the token sequence of a finished conversation for re-evaluating it with capture on.
#pragma once

#include <QString>
#include <QVector>
#include <cstdint>
#include <vector>

#include "chat/chat_template.h"
#include "chat/message.h"
#include "model/model.h"

namespace loom::ui {

// The system prompt (when not empty) followed by the messages' roles and contents.
std::vector<loom::ChatMessage> chat_messages(const QString& systemPrompt, const QVector<Message>& messages);

// The tokens a session holds after the conversation was written: the prompt of everything before the last
// reply, then that reply's own tokens when `model` wrote them (its text re-encoded otherwise). A conversation
// that ends with a user message is its prompt. Throws loom::Error as build_chat_prompt does.
std::vector<int32_t> conversation_tokens(const loom::Model& model, const QString& systemPrompt,
                                         const QVector<Message>& messages);

}  // namespace loom::ui
