// Connects the visualizer panel (ui/visualizer/) with the engine and the chat:
//   - capture is on only while the panel is open, so that generation runs at full speed otherwise;
//   - opening it (or switching conversation, or loading a model while it is open) re-evaluates the shown
//     conversation with capture on, so that the views fill;
//   - the positions, attention and logit lens of the shown conversation go to the panel, others are dropped;
//   - the selected token follows the newest one until the user picks one, in the chat or in the panel; a new
//     reply follows its tokens again.
#pragma once

#include <QObject>

#include "visualizer/visualizer_types.h"

namespace loom::ui {

class ChatController;
class EngineClient;
class VisualizerPanel;
struct LoadedModel;

class VisualizerLink : public QObject {
    Q_OBJECT

  public:
    VisualizerLink(VisualizerPanel* panel, EngineClient* client, ChatController* chat,
                   QObject* parent = nullptr);

    void setOpen(bool open);
    bool isOpen() const { return open_; }

  private:
    void onModelLoaded(const LoadedModel& model);
    void onConversationChanged();
    void onCapturesTruncated(qint64 conversationId, qint64 positions);
    void onCapturesReady(qint64 conversationId, const QVector<PositionCapture>& positions);
    void recapture();

    VisualizerPanel* panel_;
    EngineClient* client_;
    ChatController* chat_;
    bool open_ = false;
    qint64 positions_ = 0;         // positions the panel holds
    bool reply_captured_ = false;  // the reply in progress started with capture on
};

}  // namespace loom::ui
