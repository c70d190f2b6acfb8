// What the chat does, between the widgets (ChatPane, ConversationList), the store and the engine: sending,
// streaming a reply into the transcript, Stop, Regenerate, editing a message and resending, conversations
// created, opened, renamed, deleted, drafts kept. Runs on the GUI thread.
//
// Nothing the user wrote is lost: a message is stored before it is sent to the engine, the text being typed
// is stored as the conversation's draft, a refused or failed request leaves the text where it was, and an
// edit or a regeneration keeps what it replaces (ConversationStore::replaceFrom).
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <optional>

#include "store/conversation_store.h"
#include "worker/worker_types.h"

namespace loom::ui {

class ChatPane;
class ConversationList;
class EngineClient;

class ChatController : public QObject {
    Q_OBJECT

  public:
    ChatController(ConversationStore* store, EngineClient* client, ChatPane* pane, ConversationList* list,
                   QObject* parent = nullptr);

    // Opens the most recent conversation, or a new one if there is none.
    void start();
    qint64 currentConversation() const { return current_; }
    const QVector<Message>& messages() const { return messages_; }
    bool isWritingReply() const { return pending_.has_value(); }
    // The current conversation as the worker needs it to re-evaluate it for the visualizer.
    CaptureRequest captureRequest() const;
    // From clicking Send to the first token of the last reply, as the user sees it; -1 before any.
    double lastFirstTokenMilliseconds() const { return last_first_token_ms_; }

  public slots:
    void newConversation();
    void openConversation(qint64 id);
    void send();
    void stop();
    void regenerate();
    void beginEdit(qint64 messageId);
    void cancelEdit();
    void renameConversation(qint64 id, const QString& title);
    void deleteConversation(qint64 id);
    void showEarlierVersions(qint64 messageId);
    // Highlights a token chosen elsewhere (the visualizer); does not emit tokenSelected.
    void selectPosition(qint64 position);
    // Stores the draft and system prompt now (before quitting, switching...).
    void saveDraft();
    // Stops the reply being written and waits up to `timeoutMs` for it to end, so that it is saved.
    void finishReply(int timeoutMs);

  signals:
    void conversationChanged(qint64 conversationId);
    void tokenSelected(qint64 position);  // the user clicked a token in the transcript
    void replyStarted(qint64 conversationId);
    void firstToken(double milliseconds);
    void replyEnded(qint64 conversationId, bool ok);

  private:
    struct PendingReply {
        quint64 requestId = 0;
        qint64 conversationId = 0;
        qint64 replaces = 0;  // the reply a regeneration replaces; it is kept as an earlier version
        QElapsedTimer sent;
        bool gotFirstToken = false;
        QVector<QPair<qint64, QString>> tokens;
    };

    void onToken(const StreamedToken& token);
    void onReplyFinished(const ReplyFinished& result);
    bool startReply(const QVector<Message>& context, qint64 replaces);
    qint64 ensureConversation();
    void reloadList();
    void reloadMessages();
    void refreshTranscript();
    void showStoreError(const StoreError& error);
    QString assistantName() const;

    ConversationStore* store_;
    EngineClient* client_;
    ChatPane* pane_;
    ConversationList* list_;

    qint64 current_ = 0;
    QVector<Message> messages_;  // the current conversation as stored
    std::optional<PendingReply> pending_;
    std::optional<qint64> editing_;  // the user message being edited
    QString stashed_draft_;          // what was in the message box when editing began
    QString notice_;                 // an error about the current conversation's last request
    QString saved_draft_;            // what the store holds, to write only changes
    QString saved_system_prompt_;
    QTimer save_timer_;
    bool loading_fields_ = false;  // filling the pane from the store, not the user typing
    double last_first_token_ms_ = -1;
};

}  // namespace loom::ui
