#include "chat/chat_controller.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QEventLoop>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "chat/chat_pane.h"
#include "chat/conversation_list.h"
#include "chat/message_input.h"
#include "chat/sampling_controls.h"
#include "chat/transcript_view.h"
#include "worker/engine_client.h"

namespace loom::ui {

namespace {

const int kSaveDelayMs = 400;  // the draft is stored this long after the last keystroke

QString default_title() {
    return QObject::tr("New chat");
}

// A conversation's title from its first message: the first line, cut at a word near 40 characters.
QString title_from(const QString& text) {
    QString title = text.section(QLatin1Char('\n'), 0, 0).simplified();
    if (title.size() > 40) {
        int cut = title.lastIndexOf(QLatin1Char(' '), 40);
        title = title.left(cut > 20 ? cut : 40) + QStringLiteral("…");
    }
    return title.isEmpty() ? default_title() : title;
}

}  // namespace

ChatController::ChatController(ConversationStore* store, EngineClient* client, ChatPane* pane,
                               ConversationList* list, QObject* parent)
    : QObject(parent), store_(store), client_(client), pane_(pane), list_(list) {
    save_timer_.setSingleShot(true);
    save_timer_.setInterval(kSaveDelayMs);
    connect(&save_timer_, &QTimer::timeout, this, &ChatController::saveDraft);
    auto schedule_save = [this] {
        if (!loading_fields_) save_timer_.start();
    };
    connect(pane_->input(), &QPlainTextEdit::textChanged, this, schedule_save);
    connect(pane_->systemPrompt(), &QPlainTextEdit::textChanged, this, schedule_save);

    connect(pane_, &ChatPane::sendRequested, this, &ChatController::send);
    connect(pane_, &ChatPane::stopRequested, this, &ChatController::stop);
    connect(pane_, &ChatPane::regenerateRequested, this, &ChatController::regenerate);
    connect(pane_, &ChatPane::cancelEditRequested, this, &ChatController::cancelEdit);
    TranscriptView* transcript = pane_->transcript();
    connect(transcript, &TranscriptView::editRequested, this, &ChatController::beginEdit);
    connect(transcript, &TranscriptView::regenerateRequested, this, &ChatController::regenerate);
    connect(transcript, &TranscriptView::earlierVersionsRequested, this,
            &ChatController::showEarlierVersions);
    connect(transcript, &TranscriptView::tokenClicked, this, [this](qint64 position) {
        pane_->transcript()->setSelectedPosition(position);
        emit tokenSelected(position);
    });

    connect(list_, &ConversationList::newRequested, this, &ChatController::newConversation);
    connect(list_, &ConversationList::selected, this, &ChatController::openConversation);
    // Queued: both come from inside the list's own handlers (an item's edit, a menu), and both refill it.
    connect(list_, &ConversationList::renameRequested, this, &ChatController::renameConversation,
            Qt::QueuedConnection);
    connect(list_, &ConversationList::deleteRequested, this, &ChatController::deleteConversation,
            Qt::QueuedConnection);

    connect(client_, &EngineClient::tokenGenerated, this, &ChatController::onToken);
    connect(client_, &EngineClient::replyFinished, this, &ChatController::onReplyFinished);
    connect(client_, &EngineClient::busyChanged, pane_, &ChatPane::setBusy);
    connect(client_, &EngineClient::modelLoaded, this,
            [this] { pane_->transcript()->setAssistantName(assistantName()); });
}

void ChatController::showStoreError(const StoreError& error) {
    pane_->setStatus(QString::fromStdString(error.what()), true);
}

QString ChatController::assistantName() const {
    return client_->model() ? client_->model()->name : tr("Assistant");
}

void ChatController::start() {
    try {
        QVector<Conversation> conversations = store_->conversations();
        qint64 id =
            conversations.isEmpty() ? store_->createConversation(default_title()) : conversations.front().id;
        reloadList();
        openConversation(id);
    } catch (const StoreError& e) {
        showStoreError(e);
    }
}

CaptureRequest ChatController::captureRequest() const {
    CaptureRequest request;
    request.conversationId = current_;
    request.systemPrompt = pane_->systemPrompt()->toPlainText();
    request.messages = messages_;
    return request;
}

// ---- conversations ----

void ChatController::reloadList() {
    try {
        list_->setConversations(store_->conversations(), current_);
    } catch (const StoreError& e) {
        showStoreError(e);
    }
}

void ChatController::reloadMessages() {
    try {
        messages_ = store_->messages(current_);
    } catch (const StoreError& e) {
        showStoreError(e);
    }
    refreshTranscript();
}

void ChatController::refreshTranscript() {
    TranscriptView* transcript = pane_->transcript();
    QVector<Message> shown = messages_;
    const bool streaming_here = pending_ && pending_->conversationId == current_;
    if (streaming_here && pending_->replaces && !shown.isEmpty() && shown.back().id == pending_->replaces)
        shown.removeLast();  // being regenerated
    QSet<qint64> edited;
    try {
        edited = store_->replacingMessages(current_);
    } catch (const StoreError& e) {
        showStoreError(e);
    }
    transcript->setConversation(shown, edited);
    transcript->setNotice(notice_, true);
    if (streaming_here) {
        transcript->beginReply(assistantName());
        for (const auto& [position, text] : pending_->tokens)
            transcript->appendToken(position, text);
    }
}

qint64 ChatController::ensureConversation() {
    if (current_ == 0) {
        current_ = store_->createConversation(default_title());
        reloadList();
    }
    return current_;
}

void ChatController::newConversation() {
    if (current_ != 0 && messages_.isEmpty()) {  // this one is still empty: use it
        pane_->input()->setFocus();
        return;
    }
    try {
        qint64 id = store_->createConversation(default_title(), pane_->systemPrompt()->toPlainText());
        saveDraft();
        current_ = 0;  // so that openConversation() does not skip it
        reloadList();
        openConversation(id);
    } catch (const StoreError& e) {
        showStoreError(e);
    }
    pane_->input()->setFocus();
}

void ChatController::openConversation(qint64 id) {
    if (id == current_ && id != 0) return;
    if (editing_) cancelEdit();
    saveDraft();
    std::optional<Conversation> conversation;
    try {
        conversation = store_->conversation(id);
    } catch (const StoreError& e) {
        showStoreError(e);
    }
    if (!conversation) return;
    current_ = id;
    notice_.clear();
    pane_->setStatus(QString());  // the last reply's numbers belong to the conversation left
    loading_fields_ = true;
    pane_->systemPrompt()->setPlainText(conversation->systemPrompt);
    pane_->input()->setPlainText(conversation->draft);
    loading_fields_ = false;
    saved_draft_ = conversation->draft;
    saved_system_prompt_ = conversation->systemPrompt;
    pane_->transcript()->setSelectedPosition(-1);
    if (list_->current() != id) reloadList();
    reloadMessages();
    emit conversationChanged(id);
}

void ChatController::renameConversation(qint64 id, const QString& title) {
    try {
        store_->renameConversation(id, title);
    } catch (const StoreError& e) {
        showStoreError(e);
    }
    reloadList();
}

void ChatController::deleteConversation(qint64 id) {
    if (pending_ && pending_->conversationId == id) client_->stop();
    try {
        store_->deleteConversation(id);
    } catch (const StoreError& e) {
        showStoreError(e);
        return;
    }
    client_->forgetConversation(id);
    if (id == current_) {
        current_ = 0;
        messages_.clear();
        start();
    } else {
        reloadList();
    }
}

void ChatController::saveDraft() {
    save_timer_.stop();
    if (current_ == 0) return;
    // While a message is being edited the box holds the edit; the draft is what it held before.
    const QString draft = editing_ ? stashed_draft_ : pane_->input()->toPlainText();
    const QString system_prompt = pane_->systemPrompt()->toPlainText();
    if (draft == saved_draft_ && system_prompt == saved_system_prompt_) return;
    try {
        ConversationStore::Transaction transaction(*store_);
        store_->setDraft(current_, draft);
        store_->setSystemPrompt(current_, system_prompt);
        transaction.commit();
        saved_draft_ = draft;
        saved_system_prompt_ = system_prompt;
    } catch (const StoreError& e) {
        showStoreError(e);
    }
}

// ---- sending and replies ----

void ChatController::send() {
    const QString text = pane_->input()->toPlainText();
    if (text.trimmed().isEmpty()) return;
    if (QString reason = client_->refusalReason(); !reason.isEmpty()) {
        pane_->setStatus(reason, true);  // the message stays in the box
        return;
    }
    Message user;
    user.role = QStringLiteral("user");
    user.content = text;
    user.created = QDateTime::currentDateTimeUtc();
    const bool first_message = messages_.isEmpty();
    try {
        const qint64 id = ensureConversation();
        Message stored = user;
        stored.id = editing_ ? store_->replaceFrom(id, *editing_, user) : store_->appendMessage(id, user);
        if (editing_) {
            auto edited = std::find_if(messages_.begin(), messages_.end(),
                                       [&](const Message& m) { return m.id == *editing_; });
            messages_.erase(edited, messages_.end());
        }
        messages_.push_back(stored);
    } catch (const StoreError& e) {
        showStoreError(e);  // not stored: the message stays in the box
        return;
    }
    // The message is safe in the store: start the reply first, then tidy up (the user waits for the reply).
    loading_fields_ = true;
    pane_->input()->setPlainText(editing_ ? stashed_draft_ : QString());
    loading_fields_ = false;
    editing_.reset();
    stashed_draft_.clear();
    pane_->setEditing(false);
    notice_.clear();
    startReply(messages_, 0);
    try {
        if (first_message && store_->conversation(current_)->title == default_title())
            store_->renameConversation(current_, title_from(text));
    } catch (const StoreError& e) {
        showStoreError(e);
    }
    saveDraft();
    reloadList();
}

bool ChatController::startReply(const QVector<Message>& context, qint64 replaces) {
    GenerationRequest request;
    request.conversationId = current_;
    request.systemPrompt = pane_->systemPrompt()->toPlainText();
    request.messages = context;
    request.sampling = pane_->sampling()->settings();
    pane_->sampling()->save();

    PendingReply pending;
    pending.conversationId = current_;
    pending.replaces = replaces;
    pending.sent.start();
    const quint64 id = client_->generate(request);
    if (id == 0) {
        pane_->setStatus(client_->refusalReason(), true);
        return false;
    }
    pending.requestId = id;
    pending_ = pending;
    pane_->setStatus(tr("Writing…"));
    pane_->transcript()->setSelectedPosition(-1);
    refreshTranscript();
    emit replyStarted(current_);
    return true;
}

void ChatController::onToken(const StreamedToken& token) {
    if (!pending_ || token.requestId != pending_->requestId) return;
    if (!pending_->gotFirstToken) {
        pending_->gotFirstToken = true;
        last_first_token_ms_ = pending_->sent.nsecsElapsed() / 1e6;
        emit firstToken(last_first_token_ms_);
    }
    pending_->tokens.push_back({token.position, token.token.text});
    if (pending_->conversationId == current_)
        pane_->transcript()->appendToken(token.position, token.token.text);
}

void ChatController::onReplyFinished(const ReplyFinished& result) {
    if (!pending_ || result.requestId != pending_->requestId) return;
    const PendingReply pending = *pending_;
    pending_.reset();
    const qint64 conversation = pending.conversationId;
    const bool has_text = !result.reply.content.isEmpty();
    if (result.ok && has_text) {
        try {
            if (store_->conversation(conversation)) {  // it may have been deleted meanwhile
                if (pending.replaces)
                    store_->replaceFrom(conversation, pending.replaces, result.reply);
                else
                    store_->appendMessage(conversation, result.reply);
            }
        } catch (const StoreError& e) {
            showStoreError(e);
        }
    }
    if (conversation == current_) {
        if (!result.ok) notice_ = tr("The reply failed: %1").arg(result.error);
        reloadMessages();
    }
    if (!result.ok) {
        pane_->setStatus(tr("The reply failed: %1").arg(result.error), true);
    } else {
        const ReplyStats& s = result.reply.stats;
        QString status =
            tr("%n token(s) at %1 tok/s · prompt %2 tok/s", nullptr, static_cast<int>(s.generatedTokens))
                .arg(s.generatedTokensPerSecond(), 0, 'f', 1)
                .arg(s.promptTokensPerSecond(), 0, 'f', 0);
        if (pending.gotFirstToken)
            status += tr(" · first token after %1 ms").arg(last_first_token_ms_, 0, 'f', 0);
        status += QStringLiteral(" · ") + s.stopReason;
        pane_->setStatus(status);
    }
    reloadList();
    emit replyEnded(conversation, result.ok);
}

void ChatController::stop() {
    client_->stop();
}

void ChatController::finishReply(int timeoutMs) {
    if (!pending_) return;
    client_->stop();
    QEventLoop loop;
    connect(this, &ChatController::replyEnded, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
}

void ChatController::regenerate() {
    if (current_ == 0 || messages_.isEmpty()) return;
    if (QString reason = client_->refusalReason(); !reason.isEmpty()) {
        pane_->setStatus(reason, true);
        return;
    }
    notice_.clear();
    if (messages_.back().isAssistant())
        startReply(messages_.mid(0, messages_.size() - 1), messages_.back().id);
    else
        startReply(messages_, 0);  // the last message got no reply (it failed): try again
}

// ---- editing ----

void ChatController::beginEdit(qint64 messageId) {
    auto it =
        std::find_if(messages_.begin(), messages_.end(), [&](const Message& m) { return m.id == messageId; });
    if (it == messages_.end() || !it->isUser()) return;
    if (pending_) {
        pane_->setStatus(tr("Stop the reply being written before editing a message."), true);
        return;
    }
    if (!editing_) stashed_draft_ = pane_->input()->toPlainText();
    editing_ = messageId;
    loading_fields_ = true;
    pane_->input()->setPlainText(it->content);
    loading_fields_ = false;
    pane_->setEditing(true);
    pane_->input()->setFocus();
}

void ChatController::cancelEdit() {
    if (!editing_) return;
    editing_.reset();
    loading_fields_ = true;
    pane_->input()->setPlainText(stashed_draft_);
    loading_fields_ = false;
    stashed_draft_.clear();
    pane_->setEditing(false);
}

void ChatController::showEarlierVersions(qint64 messageId) {
    QVector<Message> earlier;
    try {
        earlier = store_->replacedBy(messageId);
    } catch (const StoreError& e) {
        showStoreError(e);
        return;
    }
    QString html;
    for (const Message& m : earlier)
        html += QStringLiteral("<p><b>%1</b> <small>%2</small></p><p style=\"white-space:pre-wrap\">%3</p>")
                    .arg(m.isUser() ? tr("You") : tr("Reply"),
                         QLocale().toString(m.created.toLocalTime(), QLocale::ShortFormat),
                         m.content.toHtmlEscaped());
    QDialog dialog(pane_);
    dialog.setWindowTitle(tr("Earlier version"));
    auto* text = new QTextBrowser;
    text->setHtml(html.isEmpty() ? tr("Nothing was replaced.") : html);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(
        new QLabel(tr("What this message replaced (kept, not part of the conversation any more):")));
    layout->addWidget(text);
    layout->addWidget(buttons);
    dialog.resize(560, 420);
    dialog.exec();
}

void ChatController::selectPosition(qint64 position) {
    pane_->transcript()->setSelectedPosition(position);
}

}  // namespace loom::ui
