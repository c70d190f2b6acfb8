// The box the user types a message in: Ctrl+Enter sends (Enter is a new line), and files dropped on it go to
// the window (to load a model) instead of being pasted as text.
#pragma once

#include <QPlainTextEdit>

namespace loom::ui {

class MessageInput : public QPlainTextEdit {
    Q_OBJECT

  public:
    explicit MessageInput(QWidget* parent = nullptr);

  signals:
    void sendRequested();

  protected:
    void keyPressEvent(QKeyEvent* event) override;
    bool canInsertFromMimeData(const QMimeData* source) const override;
    void dragEnterEvent(QDragEnterEvent* event) override;
};

}  // namespace loom::ui
