#include "chat/message_input.h"

#include <QDragEnterEvent>
#include <QKeyEvent>
#include <QMimeData>

namespace loom::ui {

MessageInput::MessageInput(QWidget* parent) : QPlainTextEdit(parent) {
    setPlaceholderText(tr("Write a message… (Ctrl+Enter sends)"));
    setTabChangesFocus(true);
    setAccessibleName(tr("Message"));
}

void MessageInput::keyPressEvent(QKeyEvent* event) {
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && (event->modifiers() & Qt::ControlModifier)) {
        emit sendRequested();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

bool MessageInput::canInsertFromMimeData(const QMimeData* source) const {
    return !source->hasUrls() && QPlainTextEdit::canInsertFromMimeData(source);
}

void MessageInput::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) {
        event->ignore();  // the main window takes model files and folders
        return;
    }
    QPlainTextEdit::dragEnterEvent(event);
}

}  // namespace loom::ui
