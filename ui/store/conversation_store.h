// Conversations and their messages in an SQLite database (QtSql), by default under the XDG data directory
// ($XDG_DATA_HOME/loom/conversations.sqlite, i.e. ~/.local/share/loom/).
//
// Durability: every change is one transaction, and the database runs in WAL mode with synchronous=NORMAL: a
// committed transaction is in the write-ahead log, which survives the process crashing or being killed (a
// power cut may lose the last few, never leaving the file inconsistent), without waiting for the disk on
// every keystroke-driven save. The chat writes a reply once, when it is complete, so a crash or kill loses at
// most the reply in progress. Nothing a user wrote is deleted by editing: an edit or a regeneration marks the
// messages it replaces as superseded (supersededBy = the new message) and they stay readable through
// replacedBy(). Only deleting a whole conversation removes rows.
//
// Use a store from one thread (the GUI thread). Every method throws StoreError when the database fails.
#pragma once

#include <QDateTime>
#include <QSet>
#include <QSqlDatabase>
#include <QString>
#include <QVector>
#include <optional>
#include <stdexcept>

#include "chat/message.h"

namespace loom::ui {

class StoreError : public std::runtime_error {
  public:
    explicit StoreError(const QString& message) : std::runtime_error(message.toStdString()) {}
};

struct Conversation {
    qint64 id = 0;
    QString title;
    QString systemPrompt;
    QString draft;  // what the user was typing and had not sent yet
    QDateTime created;
    QDateTime updated;
};

class ConversationStore {
  public:
    // Opens the database at `file`, creating it and its folder if needed. Throws StoreError saying why it
    // cannot (unwritable folder, not an SQLite file, a newer schema...).
    explicit ConversationStore(const QString& file);
    ~ConversationStore();
    ConversationStore(const ConversationStore&) = delete;
    ConversationStore& operator=(const ConversationStore&) = delete;

    // $XDG_DATA_HOME/loom/conversations.sqlite (or ~/.local/share/loom/...).
    static QString defaultFile();
    const QString& file() const { return file_; }

    // Most recently updated first.
    QVector<Conversation> conversations() const;
    std::optional<Conversation> conversation(qint64 id) const;
    qint64 createConversation(const QString& title, const QString& systemPrompt = {});
    void renameConversation(qint64 id, const QString& title);
    void setSystemPrompt(qint64 id, const QString& systemPrompt);
    void setDraft(qint64 id, const QString& draft);
    void deleteConversation(qint64 id);

    // The conversation as it stands (superseded messages left out), oldest first.
    QVector<Message> messages(qint64 conversationId) const;
    // Appends a message; returns its id.
    qint64 appendMessage(qint64 conversationId, const Message& message);
    // In one transaction: marks `firstReplaced` and every later message of the conversation as superseded by
    // `replacement`, and appends `replacement`. Returns the new message's id. Used to edit a user message
    // (its old text and the replies to it are kept) and to keep a regenerated reply's predecessor.
    qint64 replaceFrom(qint64 conversationId, qint64 firstReplaced, const Message& replacement);
    // The messages that `messageId` replaced, oldest first: the old branch of an edit or regeneration.
    QVector<Message> replacedBy(qint64 messageId) const;
    // The ids of the conversation's messages that replaced others (they have an earlier version).
    QSet<qint64> replacingMessages(qint64 conversationId) const;

    // A transaction on the store's connection: committed by commit(), rolled back if destroyed before.
    class Transaction {
      public:
        explicit Transaction(ConversationStore& store);
        ~Transaction();
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;
        void commit();

      private:
        ConversationStore& store_;
        bool open_ = true;
    };

  private:
    QSqlDatabase db() const;
    void createSchema();
    void touch(qint64 conversationId);
    qint64 insertMessage(qint64 conversationId, const Message& message);

    QString file_;
    QString connection_;
};

}  // namespace loom::ui
