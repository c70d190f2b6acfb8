// The engine worker: the one object that touches the engine. It lives on its own QThread (EngineClient owns
// both); the GUI talks to it only through queued calls and queued signals carrying value types, so the GUI
// never waits on a model.
//
// It holds the loaded model and, per conversation, a Session (the KV cache, so that a follow-up, an edit or a
// regeneration re-evaluates only what changed) and, while the visualizer is open, a CaptureRecorder whose
// positions it sends to the GUI as they are evaluated.
//
// A few methods are thread-safe and meant to be called directly from the GUI thread while the worker is busy:
// stopping a reply, cancelling a load, switching capture, asking for visualizer views. Everything else runs
// on the worker's thread.
#pragma once

#include <QObject>
#include <QVector>
#include <atomic>
#include <functional>
#include <map>
#include <memory>

#include "visualizer/visualizer_types.h"
#include "worker/view_requests.h"
#include "worker/worker_types.h"

namespace loom {
class DeviceFailure;
class Model;
class Session;
class CaptureRecorder;
}  // namespace loom

namespace loom::ui {

class EngineWorker : public QObject {
    Q_OBJECT

  public:
    explicit EngineWorker(QObject* parent = nullptr);
    ~EngineWorker() override;

    // Thread-safe. Replies with ids up to `requestId` stop after the token being computed (or before their
    // first one); loads with ids up to `requestId` are cancelled at the next tensor.
    void stopRepliesUpTo(quint64 requestId);
    void cancelLoadsUpTo(quint64 requestId);
    // Thread-safe. Whether replies started from now on capture hidden states and attention for the
    // visualizer.
    void setCaptureEnabled(bool enabled);
    // Thread-safe. Served between two tokens of a reply, or as soon as the worker is idle.
    void requestAttention(const AttentionRequest& request);
    void requestLogitLens(const LogitLensRequest& request);

    // The maximum number of conversations whose KV caches are kept; the least recently used is dropped.
    static constexpr size_t kMaxSessions = 4;

  public slots:
    void loadModel(quint64 requestId, const loom::ui::ModelLoadRequest& request);
    void generate(const loom::ui::GenerationRequest& request);
    void captureConversation(const loom::ui::CaptureRequest& request);
    void forgetConversation(qint64 conversationId);
    void serveViewRequests();

  signals:
    void loadProgress(quint64 requestId, double fraction);
    void modelLoaded(quint64 requestId, const loom::ui::LoadedModel& model);
    void modelLoadFailed(quint64 requestId, const QString& error, bool cancelled);
    // The model now runs elsewhere (its GPU failed during a reply, which went on on the CPU); the note says
    // why. Conversations and their captures stay as they were.
    void modelMoved(const loom::ui::LoadedModel& model);

    void tokenGenerated(const loom::ui::StreamedToken& token);
    void replyFinished(const loom::ui::ReplyFinished& result);

    // The visualizer's data for a conversation: forget positions from `positions` on, then new positions.
    void capturesTruncated(qint64 conversationId, qint64 positions);
    void capturesReady(qint64 conversationId, const QVector<loom::ui::PositionCapture>& positions);
    void attentionReady(qint64 conversationId, const loom::ui::AttentionView& view);
    void logitLensReady(qint64 conversationId, const loom::ui::LogitLensView& view);
    // Something went wrong outside a reply or a load (capture, a visualizer view): the message for the user.
    void problem(const QString& message);

  private:
    struct Conversation;
    Conversation& conversation(qint64 id);
    Conversation* findConversation(qint64 id);
    void prepareCapture(qint64 conversationId, Conversation& state, const std::vector<int32_t>& tokens,
                        bool for_generation, bool capture);
    void sendNewCaptures(qint64 conversationId, Conversation& state);
    bool stopped(quint64 requestId) const;
    LoadedModel describeModel(double loadSeconds, const QString& note) const;
    std::shared_ptr<const loom::Model> continueOnCpu(const loom::DeviceFailure& failure);

    std::shared_ptr<loom::Model> model_;
    // For a model on the GPU: loads it on the CPU (gpu/backend_choice.h); empty once it runs there.
    std::function<std::shared_ptr<loom::Model>()> load_on_cpu_;
    std::map<qint64, std::unique_ptr<Conversation>> conversations_;
    uint64_t use_counter_ = 0;

    std::atomic<quint64> stop_replies_up_to_{0};
    std::atomic<quint64> cancel_loads_up_to_{0};
    std::atomic<bool> capture_enabled_{false};
    ViewRequests view_requests_;
};

// Makes the value types above known to Qt's queued connections. Called by EngineClient; idempotent.
void register_worker_types();

}  // namespace loom::ui
