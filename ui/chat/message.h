// A message of a conversation as the chat pane, the store and the engine worker all see it: plain values that
// can cross threads in queued signals.
#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QVector>

namespace loom::ui {

// One generated token of a reply, as the chat shows it (a clickable span).
struct ReplyToken {
    int id = 0;
    QString text;  // may be empty inside a multi-byte character
};

// How a reply was produced, shown under it.
struct ReplyStats {
    qint64 promptTokens = 0;        // prompt tokens evaluated for this reply
    qint64 reusedPromptTokens = 0;  // prompt tokens already in the conversation's KV cache
    double promptSeconds = 0;
    qint64 generatedTokens = 0;
    double generateSeconds = 0;  // from the first sampled token to the last
    QString stopReason;          // "end of generation", "token limit", "context full", "stopped"
    quint64 seed = 0;

    double promptTokensPerSecond() const { return promptSeconds > 0 ? promptTokens / promptSeconds : 0; }
    double generatedTokensPerSecond() const {
        return generateSeconds > 0 ? generatedTokens / generateSeconds : 0;
    }
};

struct Message {
    qint64 id = 0;  // the store's id; 0 until stored
    QString role;   // "user" or "assistant"
    QString content;
    QDateTime created;

    // Assistant replies only: the tokens as generated, the session position of the first one, the model that
    // wrote them (a path) and how it went.
    QVector<ReplyToken> tokens;
    qint64 firstPosition = -1;
    QString model;
    ReplyStats stats;

    // 0 while the message is part of the conversation; else the id of the message whose edit or regeneration
    // replaced it (the old branch is kept, never deleted silently).
    qint64 supersededBy = 0;

    bool isUser() const { return role == QLatin1String("user"); }
    bool isAssistant() const { return role == QLatin1String("assistant"); }
};

}  // namespace loom::ui

Q_DECLARE_METATYPE(loom::ui::ReplyToken)
Q_DECLARE_METATYPE(loom::ui::ReplyStats)
Q_DECLARE_METATYPE(loom::ui::Message)
