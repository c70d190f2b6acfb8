#include "chat/transcript_view.h"

#include <QEvent>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QUrl>

#include "catalog/model_entry.h"

namespace loom::ui {

namespace {

// Token text as HTML inside a pre-wrap block: escaped, line breaks explicit.
QString escape(const QString& text) {
    return text.toHtmlEscaped().replace(QLatin1Char('\n'), QLatin1String("<br>"));
}

QString stats_text(const ReplyStats& s) {
    QStringList parts;
    parts << QObject::tr("%n token(s)", nullptr, static_cast<int>(s.generatedTokens));
    if (s.promptTokens > 0 || s.reusedPromptTokens > 0)
        parts << QObject::tr("prompt %1 tok/s (%2 evaluated, %3 reused)")
                     .arg(s.promptTokensPerSecond(), 0, 'f', 0)
                     .arg(s.promptTokens)
                     .arg(s.reusedPromptTokens);
    if (s.generatedTokens > 0)
        parts << QObject::tr("decode %1 tok/s").arg(s.generatedTokensPerSecond(), 0, 'f', 1);
    if (!s.stopReason.isEmpty()) parts << s.stopReason;
    if (s.seed) parts << QObject::tr("seed %1").arg(s.seed);
    return parts.join(QStringLiteral(" · "));
}

}  // namespace

TranscriptView::TranscriptView(QWidget* parent) : QTextBrowser(parent) {
    setOpenLinks(false);
    setOpenExternalLinks(false);
    setAccessibleName(tr("Conversation"));
    connect(this, &QTextBrowser::anchorClicked, this, &TranscriptView::onAnchor);
    applyStyle();
}

void TranscriptView::applyStyle() {
    const QPalette p = palette();
    const QString text = p.color(QPalette::Text).name();
    const QString muted = p.color(QPalette::PlaceholderText).name();
    const QString link = p.color(QPalette::Link).name();
    QColor highlight = p.color(QPalette::Highlight);
    highlight.setAlpha(255);
    document()->setDefaultStyleSheet(
        QStringLiteral("a.tok { color: %1; text-decoration: none; }"
                       "a.sel { color: %2; background-color: %3; text-decoration: none; }"
                       "a.act { color: %4; text-decoration: none; }"
                       ".meta { color: %5; font-size: small; }"
                       ".who { font-weight: bold; }"
                       ".body { white-space: pre-wrap; }"
                       ".error { color: #c62828; }")
            .arg(text, p.color(QPalette::HighlightedText).name(), highlight.name(), link, muted));
}

void TranscriptView::changeEvent(QEvent* event) {
    QTextBrowser::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyStyle();
        render();
    }
}

void TranscriptView::setAssistantName(const QString& name) {
    assistant_name_ = name;
    render();
}

void TranscriptView::setConversation(const QVector<Message>& messages,
                                     const QSet<qint64>& withEarlierVersions) {
    messages_ = messages;
    with_earlier_versions_ = withEarlierVersions;
    streaming_.reset();
    render();
}

void TranscriptView::beginReply(const QString& author) {
    streaming_ = Streaming{author, {}};
    render();
}

void TranscriptView::appendToken(qint64 position, const QString& text) {
    if (!streaming_) return;
    streaming_->tokens.push_back({position, text});
    QScrollBar* bar = verticalScrollBar();
    const bool at_bottom = bar->value() >= bar->maximum() - 4;
    // Appended in place as text with the format of a token link (not as HTML, whose parser would drop a
    // token's leading space): the rest of the document is not laid out again.
    QTextCharFormat format;
    format.setAnchor(true);
    format.setAnchorHref(QStringLiteral("tok:%1").arg(position));
    format.setForeground(palette().color(QPalette::Text));
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(text, format);
    if (at_bottom) bar->setValue(bar->maximum());
}

void TranscriptView::endReply() {
    streaming_.reset();
    render();
}

void TranscriptView::setNotice(const QString& text, bool error) {
    notice_ = text;
    notice_is_error_ = error;
    render();
}

void TranscriptView::setSelectedPosition(qint64 position) {
    if (selected_ == position) return;
    selected_ = position;
    render();
}

QString TranscriptView::tokenHtml(qint64 position, const QString& text) const {
    if (text.isEmpty()) return {};
    return QStringLiteral("<a class=\"%1\" href=\"tok:%2\">%3</a>")
        .arg(position == selected_ ? QStringLiteral("sel") : QStringLiteral("tok"))
        .arg(position)
        .arg(escape(text));
}

QString TranscriptView::messageHtml(const Message& m, bool last) const {
    QString html;
    if (m.isUser()) {
        html += QStringLiteral("<p class=\"who\">%1</p>").arg(tr("You"));
        html += QStringLiteral("<div class=\"body\">%1</div>").arg(escape(m.content));
        QStringList actions{
            QStringLiteral("<a class=\"act\" href=\"edit:%1\">%2</a>").arg(m.id).arg(tr("edit"))};
        if (with_earlier_versions_.contains(m.id))
            actions << QStringLiteral("<a class=\"act\" href=\"versions:%1\">%2</a>")
                           .arg(m.id)
                           .arg(tr("earlier version"));
        html += QStringLiteral("<p class=\"meta\">%1</p>").arg(actions.join(QStringLiteral(" · ")));
        return html;
    }
    // Each reply is signed by the model that wrote it (the conversation may have changed models).
    QString author = m.model.isEmpty() ? assistant_name_ : model_display_name(m.model);
    if (author.isEmpty()) author = tr("Assistant");
    html += QStringLiteral("<p class=\"who\">%1</p>").arg(author.toHtmlEscaped());
    QString body;
    if (m.tokens.isEmpty() || m.firstPosition < 0) {
        body = escape(m.content);
    } else {
        QString shown;
        for (qsizetype i = 0; i < m.tokens.size(); ++i) {
            body += tokenHtml(m.firstPosition + i, m.tokens[i].text);
            shown += m.tokens[i].text;
        }
        if (m.content.size() > shown.size() && m.content.startsWith(shown))
            body += escape(m.content.mid(shown.size()));
    }
    html += QStringLiteral("<div class=\"body\">%1</div>").arg(body);
    QStringList meta{stats_text(m.stats).toHtmlEscaped()};
    if (last) meta << QStringLiteral("<a class=\"act\" href=\"regen:\">%1</a>").arg(tr("regenerate"));
    if (with_earlier_versions_.contains(m.id))
        meta << QStringLiteral("<a class=\"act\" href=\"versions:%1\">%2</a>")
                    .arg(m.id)
                    .arg(tr("earlier version"));
    html += QStringLiteral("<p class=\"meta\">%1</p>").arg(meta.join(QStringLiteral(" · ")));
    return html;
}

void TranscriptView::render() {
    QScrollBar* bar = verticalScrollBar();
    const bool at_bottom = bar->value() >= bar->maximum() - 4;
    const int value = bar->value();

    QString html;
    for (qsizetype i = 0; i < messages_.size(); ++i)
        html += messageHtml(messages_[i], i + 1 == messages_.size() && !streaming_);
    if (messages_.isEmpty() && !streaming_)
        html +=
            QStringLiteral("<p class=\"meta\">%1</p>").arg(tr("Write a message below and press Ctrl+Enter."));
    if (!notice_.isEmpty())
        html +=
            QStringLiteral("<p class=\"%1\">%2</p>")
                .arg(notice_is_error_ ? QStringLiteral("error") : QStringLiteral("meta"), escape(notice_));
    if (streaming_) {
        html += QStringLiteral("<p class=\"who\">%1</p>").arg(streaming_->author.toHtmlEscaped());
        QString body;
        for (const auto& [position, text] : streaming_->tokens)
            body += tokenHtml(position, text);
        // The reply's block is the document's last: appendToken() adds to it.
        html += QStringLiteral("<div class=\"body\">%1</div>").arg(body);
    }
    setHtml(html);
    bar->setValue(at_bottom ? bar->maximum() : value);
}

qint64 TranscriptView::positionAt(const QPoint& point) const {
    const QString anchor = anchorAt(point);
    if (!anchor.startsWith(QLatin1String("tok:"))) return -1;
    return anchor.mid(4).toLongLong();
}

void TranscriptView::onAnchor(const QUrl& url) {
    const QString scheme = url.scheme();
    const QString value = url.path();
    if (scheme == QLatin1String("tok")) {
        emit tokenClicked(value.toLongLong());
    } else if (scheme == QLatin1String("edit")) {
        emit editRequested(value.toLongLong());
    } else if (scheme == QLatin1String("regen")) {
        emit regenerateRequested();
    } else if (scheme == QLatin1String("versions")) {
        emit earlierVersionsRequested(value.toLongLong());
    }
}

}  // namespace loom::ui
