// The conversation as the chat pane shows it: messages one after the other, every token of a reply a
// clickable span (a link "tok:<position>") so that clicking it selects that token for the visualizer, and
// links under messages to edit, regenerate, or read what an edit replaced.
//
// A reply being written is appended token by token at the end of the document (no re-layout of what is
// above); everything else re-renders the whole conversation.
#pragma once

#include <QSet>
#include <QTextBrowser>
#include <QVector>
#include <optional>

#include "chat/message.h"

namespace loom::ui {

class TranscriptView : public QTextBrowser {
    Q_OBJECT

  public:
    explicit TranscriptView(QWidget* parent = nullptr);

    // `withEarlierVersions`: ids of messages that replaced others (they get an "earlier version" link).
    void setConversation(const QVector<Message>& messages, const QSet<qint64>& withEarlierVersions);
    // Starts showing a reply being written, after the messages.
    void beginReply(const QString& author);
    void appendToken(qint64 position, const QString& text);
    void endReply();
    bool isWritingReply() const { return streaming_.has_value(); }

    // A line after the conversation: an error (in red) or a remark; empty to remove it.
    void setNotice(const QString& text, bool error);
    // Highlights the token at `position` (-1: none).
    void setSelectedPosition(qint64 position);
    qint64 selectedPosition() const { return selected_; }
    // The name shown above replies.
    void setAssistantName(const QString& name);

    // The position of the token link at `point` in the viewport, or -1 (for tests and tooltips).
    qint64 positionAt(const QPoint& point) const;

  signals:
    void tokenClicked(qint64 position);
    void editRequested(qint64 messageId);
    void regenerateRequested();
    void earlierVersionsRequested(qint64 messageId);

  protected:
    void changeEvent(QEvent* event) override;

  private:
    struct Streaming {
        QString author;
        QVector<QPair<qint64, QString>> tokens;  // position, text
    };
    void render();
    QString messageHtml(const Message& message, bool last) const;
    QString tokenHtml(qint64 position, const QString& text) const;
    void onAnchor(const QUrl& url);
    void applyStyle();

    QVector<Message> messages_;
    QSet<qint64> with_earlier_versions_;
    std::optional<Streaming> streaming_;
    QString notice_;
    bool notice_is_error_ = false;
    qint64 selected_ = -1;
    QString assistant_name_;
};

}  // namespace loom::ui
