// Requests from the visualizer (attention of a token, its logit lens) waiting for the engine worker. The GUI
// thread adds them at any time; the worker takes them between two generated tokens (its event loop is busy
// during a reply) or, when idle, from a queued call. Only the newest request of each kind is kept: when the
// user clicks through tokens quickly, the views they skipped are never computed.
#pragma once

#include <QMutex>
#include <QMutexLocker>
#include <optional>

namespace loom::ui {

struct AttentionRequest {
    qint64 conversationId = 0;
    qint64 position = 0;
    int layer = 0;
    int head = -1;  // -1: all heads of the layer
};

struct LogitLensRequest {
    qint64 conversationId = 0;
    qint64 position = 0;
};

class ViewRequests {
  public:
    void request(const AttentionRequest& request) {
        QMutexLocker lock(&mutex_);
        attention_ = request;
    }
    void request(const LogitLensRequest& request) {
        QMutexLocker lock(&mutex_);
        logit_lens_ = request;
    }
    std::optional<AttentionRequest> takeAttention() {
        QMutexLocker lock(&mutex_);
        return std::exchange(attention_, std::nullopt);
    }
    std::optional<LogitLensRequest> takeLogitLens() {
        QMutexLocker lock(&mutex_);
        return std::exchange(logit_lens_, std::nullopt);
    }

  private:
    QMutex mutex_;
    std::optional<AttentionRequest> attention_;
    std::optional<LogitLensRequest> logit_lens_;
};

}  // namespace loom::ui
