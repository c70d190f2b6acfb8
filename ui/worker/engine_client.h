// The GUI thread's handle on the engine: owns the worker's thread and the worker, hands it requests as queued
// calls, and re-emits its results on the GUI thread. It also keeps the little state the GUI asks about
// synchronously (is a model loaded, is a reply being written) so that nobody ever waits on the worker.
//
// One reply at a time: a request made while a reply is being written (or a model is loading) is refused with
// requestRefused() and a message saying why, never silently dropped or interleaved.
#pragma once

#include <QObject>
#include <QThread>
#include <optional>

#include "visualizer/visualizer_types.h"
#include "worker/worker_types.h"

namespace loom::ui {

class EngineWorker;

class EngineClient : public QObject {
    Q_OBJECT

  public:
    explicit EngineClient(QObject* parent = nullptr);
    // Stops the reply or load in progress, then ends the worker's thread.
    ~EngineClient() override;

    // Loads a model; the one loaded now stays usable until the new one is ready (and if it fails). A reply
    // being written is stopped first. Returns the load's request id.
    quint64 loadModel(const ModelLoadRequest& request);
    void cancelLoad();
    bool isLoading() const { return loading_ != 0; }
    const std::optional<LoadedModel>& model() const { return model_; }

    // Starts a reply (request.requestId is filled in). Returns the request id, or 0 when refused.
    quint64 generate(GenerationRequest request);
    // Stops the reply being written, after the token being computed.
    void stop();
    bool isBusy() const { return reply_ != 0; }
    // Why generate() would refuse now, in words for the user; empty when a reply can start.
    QString refusalReason() const;

    // The visualizer: capture only while it is open, so that generation runs at full speed otherwise.
    void setCaptureEnabled(bool enabled);
    bool captureEnabled() const { return capture_enabled_; }
    void captureConversation(const CaptureRequest& request);
    void requestAttention(qint64 conversationId, qint64 position, int layer, int head);
    void requestLogitLens(qint64 conversationId, qint64 position);
    // Drops a conversation's KV cache and captures (it was deleted).
    void forgetConversation(qint64 conversationId);

  signals:
    void loadStarted(const QString& model);
    void loadProgress(double fraction);
    void modelLoaded(const loom::ui::LoadedModel& model);
    // The loaded model now runs elsewhere: its GPU failed during a reply, which went on on the CPU.
    void modelMoved(const loom::ui::LoadedModel& model);
    void modelLoadFailed(const QString& error, bool cancelled);

    void busyChanged(bool busy);
    void tokenGenerated(const loom::ui::StreamedToken& token);
    void replyFinished(const loom::ui::ReplyFinished& result);
    void requestRefused(const QString& reason);

    void capturesTruncated(qint64 conversationId, qint64 positions);
    void capturesReady(qint64 conversationId, const QVector<loom::ui::PositionCapture>& positions);
    void attentionReady(qint64 conversationId, const loom::ui::AttentionView& view);
    void logitLensReady(qint64 conversationId, const loom::ui::LogitLensView& view);
    void problem(const QString& message);

  private:
    void onLoaded(quint64 requestId, const LoadedModel& model);
    void onLoadFailed(quint64 requestId, const QString& error, bool cancelled);
    void onLoadProgress(quint64 requestId, double fraction);
    void onReplyFinished(const ReplyFinished& result);
    void setBusy(quint64 requestId);

    QThread thread_;
    EngineWorker* worker_ = nullptr;  // lives on thread_; deleted after the thread ends
    quint64 next_request_ = 0;
    quint64 loading_ = 0;  // the load in progress, 0 if none
    quint64 reply_ = 0;    // the reply in progress, 0 if none
    bool capture_enabled_ = false;
    std::optional<LoadedModel> model_;
};

}  // namespace loom::ui
