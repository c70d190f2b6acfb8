// The engine worker on its own thread with the built-in model: tokens stream as queued signals to the GUI
// thread, Stop ends a reply within one token, a second request while busy is refused clearly (by the client)
// or runs after the first (at the worker), a corrupt model or absurd settings fail with a message and leave
// the loaded model usable, the KV cache is reused for an unchanged prefix, and capture feeds the visualizer.
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>
#include <atomic>
#include <filesystem>
#include <fstream>

#include "worker/engine_client.h"
#include "worker/engine_worker.h"

using namespace loom::ui;
namespace fs = std::filesystem;

namespace {

Message user(const QString& text) {
    Message m;
    m.role = QStringLiteral("user");
    m.content = text;
    return m;
}

GenerationRequest request(quint64 id, qint64 conversation, QVector<Message> messages, int max_tokens) {
    GenerationRequest r;
    r.requestId = id;
    r.conversationId = conversation;
    r.messages = std::move(messages);
    r.sampling.temperature = 0;  // greedy: the same reply every time
    r.sampling.maxTokens = max_tokens;
    return r;
}

// Waits until `spy` has recorded `count` signals. (QSignalSpy::wait() would miss a signal that came before
// it was called, which a quick reply from another thread can do.)
bool wait_for(QSignalSpy& spy, int count = 1, int timeout_ms = 60000) {
    QElapsedTimer timer;
    timer.start();
    while (spy.size() < count && timer.elapsed() < timeout_ms)
        QTest::qWait(5);
    return spy.size() >= count;
}

}  // namespace

// Re-emits the worker's results on the GUI thread (queued connections, as EngineClient receives them), so
// that the spies below record them there.
class WorkerResults : public QObject {
    Q_OBJECT
  signals:
    void modelLoaded(quint64 requestId, const loom::ui::LoadedModel& model);
    void modelLoadFailed(quint64 requestId, const QString& error, bool cancelled);
    void replyFinished(const loom::ui::ReplyFinished& result);
    void modelMoved(const loom::ui::LoadedModel& model);
};

class TestEngineWorker : public QObject {
    Q_OBJECT

    QThread thread_;
    EngineWorker* worker_ = nullptr;
    WorkerResults results_;
    QTemporaryDir dir_;

    // Calls a worker slot on its thread, as EngineClient does.
    template <class Call>
    void post(Call call) {
        QMetaObject::invokeMethod(
            worker_, [w = worker_, call] { call(*w); }, Qt::QueuedConnection);
    }

    ReplyFinished run(const GenerationRequest& r) {
        QSignalSpy finished(&results_, &WorkerResults::replyFinished);
        post([r](EngineWorker& w) { w.generate(r); });
        if (!wait_for(finished)) qFatal("no reply");
        return finished.takeFirst().at(0).value<ReplyFinished>();
    }

  private slots:
    void initTestCase() {
        register_worker_types();
        worker_ = new EngineWorker;
        worker_->moveToThread(&thread_);
        connect(worker_, &EngineWorker::modelLoaded, &results_, &WorkerResults::modelLoaded);
        connect(worker_, &EngineWorker::modelLoadFailed, &results_, &WorkerResults::modelLoadFailed);
        connect(worker_, &EngineWorker::replyFinished, &results_, &WorkerResults::replyFinished);
        connect(worker_, &EngineWorker::modelMoved, &results_, &WorkerResults::modelMoved);
        thread_.start();
        QSignalSpy loaded(&results_, &WorkerResults::modelLoaded);
        post([](EngineWorker& w) { w.loadModel(1, {}); });  // empty: the built-in model
        QVERIFY(wait_for(loaded));
        LoadedModel model = loaded.takeFirst().at(1).value<LoadedModel>();
        QCOMPARE(model.architecture, QStringLiteral("llama"));
        QCOMPARE(model.layers, 5);
        QCOMPARE(model.heads, 8);
        QVERIFY(!model.hasChatTemplate);
    }

    void cleanupTestCase() {
        thread_.quit();
        thread_.wait();
        delete worker_;
    }

    void tokensStreamAsQueuedSignals() {
        QVector<StreamedToken> tokens;
        QThread* gui = QThread::currentThread();
        bool all_on_gui_thread = true;
        auto connection = connect(worker_, &EngineWorker::tokenGenerated, this, [&](const StreamedToken& t) {
            all_on_gui_thread &= QThread::currentThread() == gui;
            tokens.push_back(t);
        });
        ReplyFinished result = run(request(10, 1, {user(QStringLiteral("Once upon a time"))}, 30));
        disconnect(connection);
        QVERIFY2(result.ok, qPrintable(result.error));
        QVERIFY(all_on_gui_thread);
        QCOMPARE(tokens.size(), result.reply.tokens.size());
        QCOMPARE(qint64(tokens.size()), result.reply.stats.generatedTokens);
        QVERIFY(tokens.size() > 5);
        QString text;
        for (qsizetype i = 0; i < tokens.size(); ++i) {
            QCOMPARE(tokens[i].requestId, quint64(10));
            QCOMPARE(tokens[i].position, result.reply.firstPosition + i);  // consecutive session positions
            text += tokens[i].token.text;
        }
        QCOMPARE(result.reply.content, text + QString());  // stops at a whole character: nothing trailing
        QVERIFY(result.reply.stats.generatedTokensPerSecond() > 0);
        QCOMPARE(result.reply.role, QStringLiteral("assistant"));
        QVERIFY(!result.reply.model.isEmpty());
    }

    void stopEndsAReplyWithinOneToken() {
        // From the worker's own thread at the 5th token: not one more token.
        int seen = 0;  // only touched on the worker's thread, during the run
        auto connection = connect(
            worker_, &EngineWorker::tokenGenerated, this,
            [&](const StreamedToken& t) {
                if (t.requestId == 20 && ++seen == 5) worker_->stopRepliesUpTo(20);
            },
            Qt::DirectConnection);
        ReplyFinished stopped = run(request(20, 2, {user(QStringLiteral("Once upon a time"))}, 400));
        disconnect(connection);
        QVERIFY(stopped.ok);
        QCOMPARE(stopped.reply.tokens.size(), 5);
        QCOMPARE(stopped.reply.stats.stopReason, QStringLiteral("stopped"));

        // From the GUI thread while it runs: at most the token being computed follows. The worker is held
        // at its third token until Stop has been pressed (the model is fast enough to finish a whole reply
        // between two looks of a polling loop).
        std::atomic<int> emitted{0};
        QSemaphore third_token, stop_pressed;
        connection = connect(
            worker_, &EngineWorker::tokenGenerated, this,
            [&](const StreamedToken&) {
                if (++emitted == 3) {
                    third_token.release();
                    stop_pressed.acquire();
                }
            },
            Qt::DirectConnection);
        QSignalSpy finished(&results_, &WorkerResults::replyFinished);
        GenerationRequest long_reply = request(21, 3, {user(QStringLiteral("Once upon a time"))}, 400);
        long_reply.sampling.temperature = 1.0;  // keeps going (greedy may end the story early)
        long_reply.sampling.seed = 7;
        post([long_reply](EngineWorker& w) { w.generate(long_reply); });
        QVERIFY(third_token.tryAcquire(1, 30000));
        worker_->stopRepliesUpTo(21);
        const int at_stop = emitted.load();
        stop_pressed.release();
        QVERIFY(wait_for(finished));
        disconnect(connection);
        ReplyFinished result = finished.takeFirst().at(0).value<ReplyFinished>();
        QVERIFY2(
            result.reply.tokens.size() <= at_stop + 1,
            qPrintable(
                QStringLiteral("%1 tokens, %2 when stopped").arg(result.reply.tokens.size()).arg(at_stop)));
        QCOMPARE(result.reply.stats.stopReason, QStringLiteral("stopped"));

        // Stop pressed before the worker started: no token at all.
        worker_->stopRepliesUpTo(22);
        ReplyFinished early = run(request(22, 3, {user(QStringLiteral("Hello"))}, 50));
        QVERIFY(early.ok);
        QCOMPARE(early.reply.tokens.size(), 0);
    }

    void requestsWhileBusyRunInTurn() {
        QVector<quint64> order;
        auto connection = connect(worker_, &EngineWorker::tokenGenerated, this,
                                  [&](const StreamedToken& t) { order.push_back(t.requestId); });
        QSignalSpy finished(&results_, &WorkerResults::replyFinished);
        GenerationRequest a = request(30, 4, {user(QStringLiteral("Once upon a time"))}, 40);
        GenerationRequest b = request(31, 5, {user(QStringLiteral("The cat"))}, 40);
        post([a](EngineWorker& w) { w.generate(a); });
        post([b](EngineWorker& w) { w.generate(b); });
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 60000);
        disconnect(connection);
        QCOMPARE(finished[0].at(0).value<ReplyFinished>().requestId, quint64(30));
        QCOMPARE(finished[1].at(0).value<ReplyFinished>().requestId, quint64(31));
        // Not interleaved: every token of the first request comes before any of the second.
        QVERIFY(std::is_sorted(order.begin(), order.end()));
    }

    void clientRefusesASecondRequestClearly() {
        EngineClient client;
        QSignalSpy loaded(&client, &EngineClient::modelLoaded);
        client.loadModel({});
        QVERIFY(wait_for(loaded));
        QSignalSpy refused(&client, &EngineClient::requestRefused);
        QSignalSpy finished(&client, &EngineClient::replyFinished);
        GenerationRequest r = request(0, 1, {user(QStringLiteral("Once upon a time"))}, 100);
        QVERIFY(client.generate(r) != 0);
        QVERIFY(client.isBusy());
        QCOMPARE(client.generate(r), quint64(0));
        QCOMPARE(refused.size(), 1);
        QVERIFY(refused.front().at(0).toString().contains(QStringLiteral("still writing a reply")));
        QVERIFY(wait_for(finished));
        QVERIFY(finished.front().at(0).value<ReplyFinished>().ok);  // the first one was not disturbed
        QVERIFY(!client.isBusy());
        QVERIFY(client.refusalReason().isEmpty());
    }

    void corruptModelLeavesThePreviousOneUsable() {
        fs::path corrupt = fs::path(dir_.path().toStdString()) / "corrupt";
        fs::copy(fs::path(LOOM_RESOURCES_DIR) / "models" / "stories260K", corrupt);
        fs::resize_file(corrupt / "model.safetensors", 5000);  // cut short, as an interrupted download
        QSignalSpy failed(&results_, &WorkerResults::modelLoadFailed);
        post([path = QString::fromStdString(corrupt.string())](EngineWorker& w) { w.loadModel(40, {path}); });
        QVERIFY(wait_for(failed));
        QCOMPARE(failed.front().at(0).toULongLong(), quint64(40));
        QVERIFY(!failed.front().at(1).toString().isEmpty());
        QCOMPARE(failed.front().at(2).toBool(), false);

        // Garbage where config.json should be, and a path that is not there.
        std::ofstream(corrupt / "config.json") << "{ this is not json";
        post([path = QString::fromStdString(corrupt.string())](EngineWorker& w) { w.loadModel(41, {path}); });
        post([](EngineWorker& w) { w.loadModel(42, {QStringLiteral("/no/such/model")}); });
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 3, 30000);
        QVERIFY(failed[2].at(1).toString().contains(QStringLiteral("/no/such/model")));

        ReplyFinished after = run(request(43, 6, {user(QStringLiteral("Once upon a time"))}, 10));
        QVERIFY2(after.ok, qPrintable(after.error));
        QCOMPARE(after.reply.tokens.size(), 10);
    }

    void cancellingALoadKeepsThePreviousModel() {
        QSignalSpy failed(&results_, &WorkerResults::modelLoadFailed);
        auto connection = connect(
            worker_, &EngineWorker::loadProgress, this,
            [&](quint64 id, double) { worker_->cancelLoadsUpTo(id); }, Qt::DirectConnection);
        post([](EngineWorker& w) { w.loadModel(50, {}); });
        QVERIFY(wait_for(failed));
        disconnect(connection);
        QCOMPARE(failed.front().at(2).toBool(), true);  // cancelled
        ReplyFinished after = run(request(51, 6, {user(QStringLiteral("Once upon a time"))}, 5));
        QVERIFY(after.ok);
    }

    void convertsWeightsOnLoadAndOnTheChosenDevice() {
        // Quantized on load: the loaded model says so, and still writes a story.
        QSignalSpy loaded(&results_, &WorkerResults::modelLoaded);
        ModelLoadRequest quantized;
        quantized.backend = QStringLiteral("cpu");
        quantized.weightType = QStringLiteral("Q8_0");
        post([quantized](EngineWorker& w) { w.loadModel(55, quantized); });
        QVERIFY(wait_for(loaded));
        LoadedModel model = loaded.takeFirst().at(1).value<LoadedModel>();
        QVERIFY2(model.weightTypes.contains(QStringLiteral("Q8_0")), qPrintable(model.weightTypes));
        QVERIFY(run(request(56, 6, {user(QStringLiteral("Once upon a time"))}, 8)).ok);

        // A Vulkan device picked by its index (lavapipe here): the model runs there, and writes what the
        // CPU writes.
        post([](EngineWorker& w) { w.loadModel(68, {}); });
        QVERIFY(wait_for(loaded));
        loaded.clear();
        const ReplyFinished on_cpu = run(request(69, 11, {user(QStringLiteral("Once upon a time"))}, 40));
        ModelLoadRequest on_device;
        on_device.backend = QStringLiteral("vulkan:0");
        post([on_device](EngineWorker& w) { w.loadModel(57, on_device); });
        QVERIFY(wait_for(loaded));
        model = loaded.takeFirst().at(1).value<LoadedModel>();
        QVERIFY2(model.backend.startsWith(QStringLiteral("Vulkan")), qPrintable(model.backend + model.note));
        const ReplyFinished on_gpu = run(request(58, 6, {user(QStringLiteral("Once upon a time"))}, 40));
        QVERIFY2(on_gpu.ok, qPrintable(on_gpu.error));
        QCOMPARE(on_gpu.reply.content, on_cpu.reply.content);

        post([](EngineWorker& w) { w.loadModel(59, {}); });  // back to the built-in model as stored
        QVERIFY(wait_for(loaded));
    }

    void aReplyGoesOnOnTheCpuWhenTheGpuFails() {
        const GenerationRequest story = request(0, 0, {user(QStringLiteral("Once upon a time"))}, 60);
        GenerationRequest on_cpu = story;
        on_cpu.requestId = 63;
        on_cpu.conversationId = 8;
        const ReplyFinished expected = run(on_cpu);
        QVERIFY(expected.ok);

        // On lavapipe with bindings of 4 KiB, attention cannot read the cache past about 30 positions: the
        // GPU gives up in the middle of the reply, which goes on on the CPU with the same words.
        QSignalSpy loaded(&results_, &WorkerResults::modelLoaded);
        QSignalSpy moved(&results_, &WorkerResults::modelMoved);
        ModelLoadRequest on_device;
        on_device.backend = QStringLiteral("vulkan:0");
        qputenv("LOOM_VULKAN_MAX_BINDING", "4K");
        post([on_device](EngineWorker& w) { w.loadModel(64, on_device); });
        QVERIFY(wait_for(loaded));
        qunsetenv("LOOM_VULKAN_MAX_BINDING");
        QVERIFY(loaded.takeFirst().at(1).value<LoadedModel>().backend.startsWith(QStringLiteral("Vulkan")));

        GenerationRequest on_gpu = story;
        on_gpu.requestId = 65;
        on_gpu.conversationId = 9;
        const ReplyFinished result = run(on_gpu);
        QVERIFY2(result.ok, qPrintable(result.error));
        QCOMPARE(result.reply.content, expected.reply.content);
        QVERIFY(wait_for(moved));
        QCOMPARE(moved.size(), 1);
        const LoadedModel now = moved.takeFirst().at(0).value<LoadedModel>();
        QVERIFY2(now.backend.startsWith(QStringLiteral("CPU")), qPrintable(now.backend));
        QVERIFY2(now.note.contains(QStringLiteral("The GPU failed")), qPrintable(now.note));

        // Later replies run on the CPU from their start.
        on_gpu.requestId = 66;
        on_gpu.conversationId = 10;
        QCOMPARE(run(on_gpu).reply.content, expected.reply.content);
        QCOMPARE(moved.size(), 0);

        post([](EngineWorker& w) { w.loadModel(67, {}); });  // back to the built-in model as stored
        QVERIFY(wait_for(loaded));
    }

    void absurdSettingsFailClearly() {
        GenerationRequest r = request(60, 7, {user(QStringLiteral("Hello"))}, 10);
        r.sampling.topP = 0;
        ReplyFinished result = run(r);
        QVERIFY(!result.ok);
        QVERIFY2(result.error.contains(QStringLiteral("top-p")), qPrintable(result.error));
        r = request(61, 7, {user(QStringLiteral("Hello"))}, -5);
        result = run(r);
        QVERIFY(!result.ok);
        QVERIFY2(result.error.contains(QStringLiteral("max tokens")), qPrintable(result.error));
        QVERIFY(run(request(62, 7, {user(QStringLiteral("Hello"))}, 5)).ok);
    }

    void captureFeedsTheVisualizerOnlyWhileOpen() {
        // What the GUI receives, in order, on its thread.
        QVector<QString> events;
        QVector<PositionCapture> positions;
        QVector<AttentionView> attention;
        QVector<LogitLensView> lens;
        QVector<QMetaObject::Connection> connections{
            connect(worker_, &EngineWorker::capturesTruncated, this,
                    [&](qint64, qint64 keep) {
                        events << QStringLiteral("truncate %1").arg(keep);
                        positions.resize(std::min<qsizetype>(positions.size(), keep));
                    }),
            connect(worker_, &EngineWorker::capturesReady, this,
                    [&](qint64, const QVector<PositionCapture>& batch) {
                        events << QStringLiteral("positions");
                        positions += batch;
                    }),
            connect(worker_, &EngineWorker::attentionReady, this,
                    [&](qint64, const AttentionView& view) {
                        events << QStringLiteral("attention");
                        attention << view;
                    }),
            connect(worker_, &EngineWorker::logitLensReady, this,
                    [&](qint64, const LogitLensView& view) { lens << view; }),
            connect(worker_, &EngineWorker::replyFinished, this,
                    [&] { events << QStringLiteral("finished"); }),
            // Asked from the GUI while the reply is being written: served between two tokens.
            connect(
                worker_, &EngineWorker::tokenGenerated, this,
                [&](const StreamedToken& t) {
                    if (t.requestId == 80 && t.position == 8) worker_->requestAttention({9, 8, 0, -1});
                },
                Qt::DirectConnection),
        };

        worker_->setCaptureEnabled(true);
        QVector<Message> conversation{user(QStringLiteral("Once upon a time"))};
        ReplyFinished reply = run(request(80, 9, conversation, 8));
        QVERIFY(reply.ok);
        const qint64 count = reply.reply.firstPosition + reply.reply.tokens.size();
        QCOMPARE(positions.size(), count);  // the prompt's positions and every generated token's
        for (qsizetype i = 0; i < positions.size(); ++i) {
            QCOMPARE(positions[i].position, i);
            QCOMPARE(positions[i].hiddenNorms.size(), 6);  // the embedding and 5 layers
        }
        QCOMPARE(positions.back().tokenId, reply.reply.tokens.back().id);
        QCOMPARE(attention.size(), 1);
        QCOMPARE(attention.front().position, qint64(8));
        QCOMPARE(attention.front().heads, 8);
        QVERIFY(events.indexOf(QStringLiteral("attention")) < events.indexOf(QStringLiteral("finished")));

        // Served when idle.
        worker_->requestAttention({9, count - 1, 2, 3});
        worker_->requestLogitLens({9, count - 1});
        QTRY_COMPARE_WITH_TIMEOUT(lens.size(), 1, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(attention.size(), 2, 30000);
        QCOMPARE(attention.back().head, 3);
        QCOMPARE(attention.back().heads, 1);
        QCOMPARE(lens.front().layers.size(), 6);

        // Regenerating truncates the captures to the reused prefix and sends the rest again.
        events.clear();
        run(request(81, 9, conversation, 8));
        QCOMPARE(events.front(), QStringLiteral("truncate %1").arg(reply.reply.firstPosition - 1));
        QCOMPARE(positions.size(), count);

        // Closed: no capture while generating. Opened again: the conversation is evaluated with capture on.
        worker_->setCaptureEnabled(false);
        positions.clear();
        conversation << reply.reply << user(QStringLiteral(" The end."));
        ReplyFinished closed = run(request(82, 9, conversation, 6));
        QVERIFY(positions.isEmpty());
        worker_->setCaptureEnabled(true);
        events.clear();
        CaptureRequest replay;
        replay.conversationId = 9;
        replay.messages = conversation;
        replay.messages << closed.reply;
        post([replay](EngineWorker& w) { w.captureConversation(replay); });
        const qint64 all = closed.reply.firstPosition + closed.reply.tokens.size();
        QTRY_COMPARE_WITH_TIMEOUT(positions.size(), all, 30000);
        QCOMPARE(events.front(), QStringLiteral("truncate 0"));
        for (qsizetype i = 0; i < positions.size(); ++i)
            QCOMPARE(positions[i].position, i);
        QCOMPARE(positions.back().tokenId, closed.reply.tokens.back().id);

        worker_->setCaptureEnabled(false);
        for (const auto& connection : connections)
            disconnect(connection);
    }

    void aReplyThatFilledTheContextCanBeShown() {
        // Greedy without a repetition penalty, the built-in model does not stop before its 512-token context.
        GenerationRequest r = request(90, 10, {user(QStringLiteral("Once upon a time"))}, 1000);
        r.sampling.repeatPenalty = 1;
        ReplyFinished full = run(r);
        QVERIFY(full.ok);
        QCOMPARE(full.reply.stats.stopReason, QStringLiteral("context full"));
        // Its last token was shown but never evaluated: the visualizer gets the 512 positions that exist.
        QVector<PositionCapture> positions;
        auto connection = connect(worker_, &EngineWorker::capturesReady, this,
                                  [&](qint64, const QVector<PositionCapture>& batch) { positions += batch; });
        QSignalSpy problems(worker_, &EngineWorker::problem);
        worker_->setCaptureEnabled(true);
        CaptureRequest replay;
        replay.conversationId = 11;  // a restart: not in the worker's sessions
        replay.messages = {user(QStringLiteral("Once upon a time")), full.reply};
        post([replay](EngineWorker& w) { w.captureConversation(replay); });
        QTRY_COMPARE_WITH_TIMEOUT(positions.size(), 512, 60000);
        worker_->setCaptureEnabled(false);
        disconnect(connection);
        QCOMPARE(problems.size(), 0);
    }

    void reusesTheKvCacheForAnUnchangedPrefix() {
        QVector<Message> conversation{user(QStringLiteral("Once upon a time there was a dog"))};
        ReplyFinished first = run(request(70, 8, conversation, 12));
        QVERIFY(first.ok);
        QCOMPARE(first.reply.stats.reusedPromptTokens, qint64(0));
        const qint64 prompt = first.reply.firstPosition;

        // Regenerate: the same prompt, all of it but its last token comes from the cache.
        ReplyFinished again = run(request(71, 8, conversation, 12));
        QCOMPARE(again.reply.stats.reusedPromptTokens, prompt - 1);
        QCOMPARE(again.reply.stats.promptTokens, qint64(1));
        QCOMPARE(again.reply.content, first.reply.content);  // greedy: the same reply

        // A follow-up: the first turn is reused.
        conversation << again.reply << user(QStringLiteral(" The end."));
        ReplyFinished follow = run(request(72, 8, conversation, 5));
        QVERIFY(follow.ok);
        // (Without a chat template the follow-up is the texts joined and tokenized again: where the first
        // prompt meets its reply, the last token may come out differently.)
        QVERIFY2(follow.reply.stats.reusedPromptTokens >= prompt - 1,
                 qPrintable(QString::number(follow.reply.stats.reusedPromptTokens)));
    }
};

QTEST_GUILESS_MAIN(TestEngineWorker)
#include "test_engine_worker.moc"
