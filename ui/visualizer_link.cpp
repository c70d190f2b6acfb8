#include "visualizer_link.h"

#include "chat/chat_controller.h"
#include "visualizer/visualizer_panel.h"
#include "worker/engine_client.h"

namespace loom::ui {

VisualizerLink::VisualizerLink(VisualizerPanel* panel, EngineClient* client, ChatController* chat,
                               QObject* parent)
    : QObject(parent), panel_(panel), client_(client), chat_(chat) {
    connect(client_, &EngineClient::modelLoaded, this, &VisualizerLink::onModelLoaded);
    connect(client_, &EngineClient::capturesTruncated, this, &VisualizerLink::onCapturesTruncated);
    connect(client_, &EngineClient::capturesReady, this, &VisualizerLink::onCapturesReady);
    connect(client_, &EngineClient::attentionReady, this,
            [this](qint64 conversation, const AttentionView& view) {
                if (open_ && conversation == chat_->currentConversation()) panel_->setAttention(view);
            });
    connect(client_, &EngineClient::logitLensReady, this,
            [this](qint64 conversation, const LogitLensView& view) {
                if (open_ && conversation == chat_->currentConversation()) panel_->setLogitLens(view);
            });

    connect(panel_, &VisualizerPanel::attentionRequested, this, [this](qint64 position, int layer, int head) {
        client_->requestAttention(chat_->currentConversation(), position, layer, head);
    });
    connect(panel_, &VisualizerPanel::logitLensRequested, this,
            [this](qint64 position) { client_->requestLogitLens(chat_->currentConversation(), position); });
    // -1: the user went back to following the newest token.
    connect(panel_, &VisualizerPanel::positionSelected, this,
            [this](qint64 position) { chat_->selectPosition(position); });

    connect(chat_, &ChatController::tokenSelected, this,
            [this](qint64 position) { panel_->selectPosition(position); });
    connect(chat_, &ChatController::conversationChanged, this, &VisualizerLink::onConversationChanged);
    connect(chat_, &ChatController::replyStarted, this, [this] {
        panel_->selectPosition(-1);  // a new reply: follow its tokens as they come
        reply_captured_ = client_->captureEnabled();
    });
    connect(chat_, &ChatController::replyEnded, this, [this](qint64 conversation) {
        // Opened while the reply was being written: it was not captured, evaluate it now.
        if (open_ && !reply_captured_ && conversation == chat_->currentConversation()) recapture();
    });
}

void VisualizerLink::setOpen(bool open) {
    if (open == open_) return;
    open_ = open;
    client_->setCaptureEnabled(open);
    if (open) recapture();
}

void VisualizerLink::recapture() {
    panel_->truncate(0);
    panel_->selectPosition(-1);
    positions_ = 0;
    client_->captureConversation(chat_->captureRequest());
}

void VisualizerLink::onModelLoaded(const LoadedModel& model) {
    VisualizerModelInfo info;
    info.name = model.name;
    info.layers = model.layers;
    info.heads = model.heads;
    info.hiddenSize = model.hiddenSize;
    panel_->setModel(info);
    positions_ = 0;
    if (open_) recapture();
}

void VisualizerLink::onConversationChanged() {
    panel_->truncate(0);
    panel_->selectPosition(-1);
    positions_ = 0;
    if (open_) recapture();
}

void VisualizerLink::onCapturesTruncated(qint64 conversationId, qint64 positions) {
    if (conversationId != chat_->currentConversation() || positions >= positions_) return;
    panel_->truncate(positions);
    positions_ = positions;
}

void VisualizerLink::onCapturesReady(qint64 conversationId, const QVector<PositionCapture>& positions) {
    if (!open_ || conversationId != chat_->currentConversation() || positions.isEmpty()) return;
    if (positions.front().position != positions_) {
        // Out of step (the panel was cleared while these were on their way): start the conversation again.
        if (positions.front().position > positions_) recapture();
        return;
    }
    panel_->appendPositions(positions);  // the panel follows the newest one unless a token was picked
    positions_ = positions.back().position + 1;
}

}  // namespace loom::ui
