// The chat pane (centre of the main window): the system prompt, the conversation, the message box with Send,
// Stop and Regenerate, the sampling controls, and a status line (the last reply's speed, errors). Widgets
// only: ChatController decides what the buttons do.
#pragma once

#include <QWidget>

class QAction;
class QHBoxLayout;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QToolButton;

namespace loom::ui {

class MessageInput;
class SamplingControls;
class TranscriptView;

class ChatPane : public QWidget {
    Q_OBJECT

  public:
    explicit ChatPane(QWidget* parent = nullptr);

    TranscriptView* transcript() const { return transcript_; }
    MessageInput* input() const { return input_; }
    QPlainTextEdit* systemPrompt() const { return system_prompt_; }
    SamplingControls* sampling() const { return sampling_; }
    QPushButton* sendButton() const { return send_; }
    QPushButton* stopButton() const { return stop_; }

    void setBusy(bool busy);
    // Shows or hides the "editing a message" banner above the message box.
    void setEditing(bool editing);
    void setStatus(const QString& text, bool error = false);
    // How the model reads the conversation: its chat template, or plain completion.
    void setModelMode(const QString& modelName, bool hasChatTemplate);
    // A button for `action` in the header, beside the sampling toggle (the main window's "Look inside").
    void addHeaderAction(QAction* action);

  signals:
    void sendRequested();
    void stopRequested();
    void regenerateRequested();
    void cancelEditRequested();

  private:
    QToolButton* system_toggle_;
    QPlainTextEdit* system_prompt_;
    QLabel* mode_;
    TranscriptView* transcript_;
    QWidget* editing_banner_;
    MessageInput* input_;
    QPushButton* send_;
    QPushButton* stop_;
    QPushButton* regenerate_;
    QToolButton* sampling_toggle_;
    QHBoxLayout* header_;
    QWidget* sampling_panel_;
    SamplingControls* sampling_;
    QLabel* status_;
};

}  // namespace loom::ui
