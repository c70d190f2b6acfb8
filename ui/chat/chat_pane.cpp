#include "chat/chat_pane.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

#include "chat/message_input.h"
#include "chat/sampling_controls.h"
#include "chat/transcript_view.h"

namespace loom::ui {

ChatPane::ChatPane(QWidget* parent) : QWidget(parent) {
    system_toggle_ = new QToolButton;
    system_toggle_->setText(tr("System prompt"));
    system_toggle_->setCheckable(true);
    system_toggle_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    system_toggle_->setArrowType(Qt::RightArrow);
    system_prompt_ = new QPlainTextEdit;
    system_prompt_->setPlaceholderText(tr("Instructions the model reads before the conversation (optional)"));
    system_prompt_->setMaximumHeight(90);
    system_prompt_->setVisible(false);
    system_prompt_->setAccessibleName(tr("System prompt"));
    connect(system_toggle_, &QToolButton::toggled, this, [this](bool open) {
        system_prompt_->setVisible(open);
        system_toggle_->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
    });
    mode_ = new QLabel;
    mode_->setTextFormat(Qt::PlainText);

    transcript_ = new TranscriptView;

    sampling_ = new SamplingControls;
    sampling_->load();
    auto* sampling_box = new QGroupBox(tr("Sampling"));
    auto* sampling_layout = new QVBoxLayout(sampling_box);
    sampling_layout->addWidget(sampling_);
    sampling_layout->addStretch(1);
    sampling_panel_ = sampling_box;
    sampling_toggle_ = new QToolButton;
    sampling_toggle_->setText(tr("Sampling"));
    sampling_toggle_->setCheckable(true);
    sampling_toggle_->setChecked(true);
    sampling_toggle_->setToolTip(tr("Show or hide the sampling controls"));
    connect(sampling_toggle_, &QToolButton::toggled, sampling_panel_, &QWidget::setVisible);

    editing_banner_ = new QWidget;
    auto* banner_text =
        new QLabel(tr("Editing a message: Send replaces it and the replies after it (the earlier "
                      "version is kept)."));
    banner_text->setWordWrap(true);
    auto* cancel_edit = new QPushButton(tr("Cancel editing"));
    connect(cancel_edit, &QPushButton::clicked, this, &ChatPane::cancelEditRequested);
    auto* banner_layout = new QHBoxLayout(editing_banner_);
    banner_layout->setContentsMargins(0, 0, 0, 0);
    banner_layout->addWidget(banner_text, 1);
    banner_layout->addWidget(cancel_edit);
    editing_banner_->setVisible(false);

    input_ = new MessageInput;
    input_->setMaximumHeight(120);
    connect(input_, &MessageInput::sendRequested, this, &ChatPane::sendRequested);

    send_ = new QPushButton(tr("Send"));
    send_->setToolTip(tr("Send the message (Ctrl+Enter)"));
    send_->setDefault(true);
    stop_ = new QPushButton(tr("Stop"));
    stop_->setToolTip(tr("Stop the reply (Esc)"));
    stop_->setEnabled(false);
    regenerate_ = new QPushButton(tr("Regenerate"));
    regenerate_->setToolTip(
        tr("Write the last reply again; the current one is kept as an earlier version (Ctrl+R)"));
    connect(send_, &QPushButton::clicked, this, &ChatPane::sendRequested);
    connect(stop_, &QPushButton::clicked, this, &ChatPane::stopRequested);
    connect(regenerate_, &QPushButton::clicked, this, &ChatPane::regenerateRequested);

    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* header = new QHBoxLayout;
    header->addWidget(system_toggle_);
    header->addStretch(1);
    header->addWidget(mode_);
    header->addWidget(sampling_toggle_);
    header_ = header;

    auto* middle = new QHBoxLayout;
    middle->addWidget(transcript_, 1);
    middle->addWidget(sampling_panel_);

    auto* buttons = new QVBoxLayout;
    buttons->addWidget(send_);
    buttons->addWidget(stop_);
    buttons->addWidget(regenerate_);
    buttons->addStretch(1);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(input_, 1);
    bottom->addLayout(buttons);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(header);
    layout->addWidget(system_prompt_);
    layout->addLayout(middle, 1);
    layout->addWidget(editing_banner_);
    layout->addLayout(bottom);
    layout->addWidget(status_);
}

void ChatPane::setBusy(bool busy) {
    stop_->setEnabled(busy);
    send_->setEnabled(!busy);
    regenerate_->setEnabled(!busy);
}

void ChatPane::setEditing(bool editing) {
    editing_banner_->setVisible(editing);
}

void ChatPane::setStatus(const QString& text, bool error) {
    status_->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    status_->setText(text);
}

void ChatPane::addHeaderAction(QAction* action) {
    auto* button = new QToolButton;
    button->setDefaultAction(action);  // checked, enabled and labelled as the action is
    header_->addWidget(button);
}

void ChatPane::setModelMode(const QString& modelName, bool hasChatTemplate) {
    mode_->setText(hasChatTemplate ? tr("%1 · chat template").arg(modelName)
                                   : tr("%1 · plain completion (no chat template)").arg(modelName));
}

}  // namespace loom::ui
