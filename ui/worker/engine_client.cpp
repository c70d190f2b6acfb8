#include "worker/engine_client.h"

#include <limits>

#include "worker/engine_worker.h"

namespace loom::ui {

EngineClient::EngineClient(QObject* parent) : QObject(parent) {
    register_worker_types();
    thread_.setObjectName(QStringLiteral("loom-engine"));
    worker_ = new EngineWorker;
    worker_->moveToThread(&thread_);

    // Worker -> client: queued (the client lives on the GUI thread), so every slot below runs on the GUI
    // thread.
    connect(worker_, &EngineWorker::loadProgress, this, &EngineClient::onLoadProgress);
    connect(worker_, &EngineWorker::modelLoaded, this, &EngineClient::onLoaded);
    connect(worker_, &EngineWorker::modelLoadFailed, this, &EngineClient::onLoadFailed);
    connect(worker_, &EngineWorker::modelMoved, this, [this](const LoadedModel& model) {
        model_ = model;
        emit modelMoved(model);
    });
    connect(worker_, &EngineWorker::tokenGenerated, this, &EngineClient::tokenGenerated);
    connect(worker_, &EngineWorker::replyFinished, this, &EngineClient::onReplyFinished);
    connect(worker_, &EngineWorker::capturesTruncated, this, &EngineClient::capturesTruncated);
    connect(worker_, &EngineWorker::capturesReady, this, &EngineClient::capturesReady);
    connect(worker_, &EngineWorker::attentionReady, this, &EngineClient::attentionReady);
    connect(worker_, &EngineWorker::logitLensReady, this, &EngineClient::logitLensReady);
    connect(worker_, &EngineWorker::problem, this, &EngineClient::problem);
    thread_.start();
}

EngineClient::~EngineClient() {
    worker_->stopRepliesUpTo(std::numeric_limits<quint64>::max());
    worker_->cancelLoadsUpTo(std::numeric_limits<quint64>::max());
    thread_.quit();
    thread_.wait();
    delete worker_;  // its thread has ended: nothing else can touch it now
}

quint64 EngineClient::loadModel(const ModelLoadRequest& request) {
    if (reply_) stop();
    if (loading_) worker_->cancelLoadsUpTo(loading_);  // the newest request wins
    const quint64 id = ++next_request_;
    loading_ = id;
    emit loadStarted(request.model);
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, id, request] { worker->loadModel(id, request); }, Qt::QueuedConnection);
    return id;
}

void EngineClient::cancelLoad() {
    if (loading_) worker_->cancelLoadsUpTo(loading_);
}

void EngineClient::onLoadProgress(quint64 requestId, double fraction) {
    if (requestId == loading_) emit loadProgress(fraction);
}

void EngineClient::onLoaded(quint64 requestId, const LoadedModel& model) {
    model_ = model;
    if (requestId == loading_) loading_ = 0;
    emit modelLoaded(model);
}

void EngineClient::onLoadFailed(quint64 requestId, const QString& error, bool cancelled) {
    if (requestId != loading_) return;  // replaced by a newer load, which will report
    loading_ = 0;
    emit modelLoadFailed(error, cancelled);
}

QString EngineClient::refusalReason() const {
    if (reply_) return tr("Loom is still writing a reply: press Stop (Esc) or wait for it to finish.");
    if (loading_) return tr("A model is loading: wait for it to finish or cancel it.");
    if (!model_) return tr("No model is loaded: choose one in the model browser.");
    return {};
}

quint64 EngineClient::generate(GenerationRequest request) {
    if (QString reason = refusalReason(); !reason.isEmpty()) {
        emit requestRefused(reason);
        return 0;
    }
    request.requestId = ++next_request_;
    setBusy(request.requestId);
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, request] { worker->generate(request); }, Qt::QueuedConnection);
    return request.requestId;
}

void EngineClient::stop() {
    if (reply_) worker_->stopRepliesUpTo(reply_);
}

void EngineClient::setBusy(quint64 requestId) {
    bool was_busy = reply_ != 0;
    reply_ = requestId;
    if (was_busy != (reply_ != 0)) emit busyChanged(reply_ != 0);
}

void EngineClient::onReplyFinished(const ReplyFinished& result) {
    if (result.requestId == reply_) setBusy(0);
    emit replyFinished(result);
}

void EngineClient::setCaptureEnabled(bool enabled) {
    capture_enabled_ = enabled;
    worker_->setCaptureEnabled(enabled);
}

void EngineClient::captureConversation(const CaptureRequest& request) {
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, request] { worker->captureConversation(request); }, Qt::QueuedConnection);
}

void EngineClient::requestAttention(qint64 conversationId, qint64 position, int layer, int head) {
    worker_->requestAttention({conversationId, position, layer, head});
}

void EngineClient::requestLogitLens(qint64 conversationId, qint64 position) {
    worker_->requestLogitLens({conversationId, position});
}

void EngineClient::forgetConversation(qint64 conversationId) {
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, conversationId] { worker->forgetConversation(conversationId); },
        Qt::QueuedConnection);
}

}  // namespace loom::ui
