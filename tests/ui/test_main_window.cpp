// The real main window, offscreen (or on whatever display QT_QPA_PLATFORM names), with the built-in model:
// it starts ready, a message sent with the Send button gets a streamed reply, the visualizer page receives
// hidden states and attention for it (asked through the page's window.loomVisualizerState()), clicking a
// token in the chat selects it there, Esc stops a reply, and a restart brings back the conversation and the
// unsent draft. Saves a screenshot and the measured time from Send to the first token under
// <build>/test-artifacts/.
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QToolButton>
#include <QWebEnginePage>
#include <QWebEngineView>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "catalog/model_catalog.h"
#include "chat/chat_controller.h"
#include "chat/chat_pane.h"
#include "chat/message_input.h"
#include "chat/sampling_controls.h"
#include "chat/transcript_view.h"
#include "main_window.h"
#include "store/conversation_store.h"
#include "visualizer/visualizer_panel.h"
#include "worker/engine_client.h"

using namespace loom::ui;

namespace {

QTemporaryDir& home() {
    static QTemporaryDir dir;
    return dir;
}

QString artifacts_dir() {
    QString dir = QStringLiteral(LOOM_BINARY_DIR "/test-artifacts");
    QDir().mkpath(dir);
    return dir;
}

// The state the visualizer page reports, or an empty object while the page is not ready.
QJsonObject visualizer_state(MainWindow& window) {
    auto* view = window.visualizer()->findChild<QWebEngineView*>();
    if (!view) qFatal("the visualizer panel has no web view");
    QString json;
    bool done = false;
    view->page()->runJavaScript(QStringLiteral("typeof window.loomVisualizerState === 'function' ? "
                                               "JSON.stringify(window.loomVisualizerState()) : ''"),
                                [&](const QVariant& value) {
                                    json = value.toString();
                                    done = true;
                                });
    QElapsedTimer timer;
    timer.start();
    while (!done && timer.elapsed() < 10000)
        QTest::qWait(20);
    return QJsonDocument::fromJson(json.toUtf8()).object();
}

// Clicks one of the page's tabs ("hidden", "attention", "lens", "next"), as the user would.
void show_view(MainWindow& window, const QString& view) {
    window.visualizer()->page()->runJavaScript(
        QStringLiteral("document.querySelector('#tabs button[data-view=%1]').click()").arg(view));
}

// Where the transcript shows the token link `tok:<position>`, in its viewport's coordinates.
QPoint token_point(TranscriptView* transcript, qint64 position) {
    const QString href = QStringLiteral("tok:%1").arg(position);
    for (QTextBlock block = transcript->document()->begin(); block.isValid(); block = block.next()) {
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            QTextFragment fragment = it.fragment();
            if (fragment.charFormat().anchorHref() != href) continue;
            QTextCursor cursor(transcript->document());
            cursor.setPosition(fragment.position() + fragment.length() / 2);
            transcript->setTextCursor(cursor);
            transcript->ensureCursorVisible();
            return transcript->cursorRect(cursor).center();
        }
    }
    return {-1, -1};
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

    std::unique_ptr<MainWindow> window_;
    QString store_file_;

    void open_window() {
        MainWindowOptions options;
        options.storeFile = store_file_;
        window_ = std::make_unique<MainWindow>(options);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        window_->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(window_.get()));
        QTRY_VERIFY_WITH_TIMEOUT(window_->engine()->model().has_value(), 30000);
    }

    // Sends `text` as a user does: typed into the message box, then the Send button.
    void send(const QString& text) {
        ChatPane* pane = window_->chatPane();
        pane->input()->clear();
        QTest::keyClicks(pane->input(), text);
        QTest::mouseClick(pane->sendButton(), Qt::LeftButton);
    }

  private slots:
    void initTestCase() {
        store_file_ = home().filePath(QStringLiteral("data/loom/conversations.sqlite"));
        open_window();
        QVERIFY(window_->engine()->model()->name.contains(QStringLiteral("stories260K")));
        // No Vulkan driver here (see main): the model runs on the CPU and the device menu says why not.
        QVERIFY(window_->engine()->model()->backend.startsWith(QStringLiteral("CPU")));
        auto* devices = window_->findChild<QComboBox*>(QStringLiteral("backendChoice"));
        QVERIFY(devices);
        QVERIFY(devices->findText(QStringLiteral("Vulkan: not available")) >= 0);
    }

    void cleanupTestCase() { window_.reset(); }

    void theVisualizerIsOpenOnTheFirstStartAndTheHeaderButtonTogglesIt() {
        QVERIFY(window_->visualizer()->isVisible());
        QVERIFY(window_->engine()->captureEnabled());
        QToolButton* look_inside = nullptr;
        for (QToolButton* button : window_->chatPane()->findChildren<QToolButton*>())
            if (button->text() == QStringLiteral("Look inside")) look_inside = button;
        QVERIFY(look_inside);
        QVERIFY(look_inside->isChecked());
        QTest::mouseClick(look_inside, Qt::LeftButton);
        QVERIFY(!window_->visualizer()->isVisible());
        QVERIFY(!window_->engine()->captureEnabled());  // closed: replies capture nothing
        QTest::mouseClick(look_inside, Qt::LeftButton);
        QVERIFY(window_->visualizer()->isVisible());
        QVERIFY(window_->engine()->captureEnabled());
    }

    void replyStreamsAndTheVisualizerSeesIt() {
        window_->setVisualizerOpen(true);
        QTRY_VERIFY_WITH_TIMEOUT(!visualizer_state(*window_).isEmpty(), 30000);  // the page is up

        SamplingSettings settings = window_->chatPane()->sampling()->settings();
        settings.maxTokens = 100;
        window_->chatPane()->sampling()->setSettings(settings);
        QSignalSpy first_token(window_->chat(), &ChatController::firstToken);
        QSignalSpy ended(window_->chat(), &ChatController::replyEnded);
        send(QStringLiteral("Once upon a time"));
        QVERIFY(ended.wait(60000));
        QVERIFY(ended.front().at(1).toBool());
        QCOMPARE(first_token.size(), 1);
        const double first_token_ms = first_token.front().at(0).toDouble();
        qInfo("time from Send to the first token: %.1f ms", first_token_ms);

        const QVector<Message>& messages = window_->chat()->messages();
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages[0].content, QStringLiteral("Once upon a time"));
        const Message& reply = messages[1];
        QVERIFY(reply.isAssistant());
        QVERIFY(reply.tokens.size() > 3);
        QVERIFY(window_->chatPane()->transcript()->toPlainText().contains(reply.content.trimmed().left(20)));
        QVERIFY(window_->chatPane()->input()->toPlainText().isEmpty());

        // Every position of the conversation (prompt and reply) reached the page, with hidden states, and the
        // attention of the selected (newest) token once the attention tab is open.
        // (A reply that fills the context ends with a token that is shown but never evaluated.)
        const qint64 positions =
            std::min(reply.firstPosition + reply.tokens.size(), window_->engine()->model()->contextLength);
        show_view(*window_, QStringLiteral("attention"));
        QJsonObject state;
        auto complete = [&] {
            state = visualizer_state(*window_);
            return state.value(QStringLiteral("positions")).toInteger() == positions &&
                   state.value(QStringLiteral("hasAttention")).toBool();
        };
        QTRY_VERIFY2_WITH_TIMEOUT(complete(), QJsonDocument(state).toJson(QJsonDocument::Compact).constData(),
                                  30000);
        QVERIFY(state.value(QStringLiteral("hasHiddenStates")).toBool());
        QCOMPARE(state.value(QStringLiteral("selected")).toInteger(), positions - 1);
        QVERIFY(state.value(QStringLiteral("following")).toBool());  // the newest token, until one is picked
        window_->grab().save(artifacts_dir() + QStringLiteral("/main_window_attention.png"));
        show_view(*window_, QStringLiteral("lens"));
        QTRY_VERIFY_WITH_TIMEOUT(visualizer_state(*window_).value(QStringLiteral("hasLogitLens")).toBool(),
                                 30000);

        QFile timing(artifacts_dir() + QStringLiteral("/first_token_ms.txt"));
        QVERIFY(timing.open(QIODevice::WriteOnly));
        timing.write(QByteArray::number(first_token_ms, 'f', 1) + "\n");
    }

    void clickingATokenSelectsIt() {
        const Message& reply = window_->chat()->messages().back();
        const qint64 position = reply.firstPosition + 2;
        TranscriptView* transcript = window_->chatPane()->transcript();
        const QPoint point = token_point(transcript, position);
        QVERIFY(point.x() >= 0);
        QCOMPARE(transcript->positionAt(point), position);
        QTest::mouseClick(transcript->viewport(), Qt::LeftButton, {}, point);
        QCOMPARE(transcript->selectedPosition(), position);
        QTRY_COMPARE_WITH_TIMEOUT(visualizer_state(*window_).value(QStringLiteral("selected")).toInteger(),
                                  position, 10000);
    }

    void editingAndRegeneratingKeepEarlierVersions() {
        ChatController* chat = window_->chat();
        const Message first_user = chat->messages().front();
        const Message first_reply = chat->messages().back();

        // Regenerate (Ctrl+R): a new reply; the old one is kept as its earlier version.
        QSignalSpy ended(chat, &ChatController::replyEnded);
        QTest::keyClick(window_.get(), Qt::Key_R, Qt::ControlModifier);
        QVERIFY(ended.wait(30000));
        QCOMPARE(chat->messages().size(), 2);
        const Message regenerated = chat->messages().back();
        QVERIFY(regenerated.id != first_reply.id);

        // Edit the user message (its "edit" link), change it, send: the old branch is kept.
        TranscriptView* transcript = window_->chatPane()->transcript();
        emit transcript->anchorClicked(QUrl(QStringLiteral("edit:%1").arg(first_user.id)));
        QCOMPARE(window_->chatPane()->input()->toPlainText(), first_user.content);
        window_->chatPane()->input()->setPlainText(QStringLiteral("Once upon a time, a cat"));
        QTest::mouseClick(window_->chatPane()->sendButton(), Qt::LeftButton);
        QVERIFY(ended.wait(30000));
        QCOMPARE(chat->messages().size(), 2);
        QCOMPARE(chat->messages().front().content, QStringLiteral("Once upon a time, a cat"));

        ConversationStore store(store_file_);  // what is on disk, read as another process would
        QVector<Message> replaced_reply = store.replacedBy(regenerated.id);
        QCOMPARE(replaced_reply.size(), 1);
        QCOMPARE(replaced_reply.front().content, first_reply.content);
        QVector<Message> old_branch = store.replacedBy(chat->messages().front().id);
        QCOMPARE(old_branch.size(), 2);
        QCOMPARE(old_branch.front().content, first_user.content);
        QCOMPARE(old_branch.back().id, regenerated.id);
        QVERIFY(
            transcript->toHtml().contains(QStringLiteral("versions:%1").arg(chat->messages().front().id)));
    }

    void escapeStopsAReply() {
        QSignalSpy changed(window_->chat(), &ChatController::conversationChanged);
        QTest::keyClick(window_.get(), Qt::Key_N, Qt::ControlModifier);  // a new chat: an empty context
        QCOMPARE(changed.size(), 1);
        QCOMPARE(window_->chat()->messages().size(), 0);
        // Greedy without a repetition penalty, the built-in model tells its story past 500 tokens: this reply
        // can only end at the context's end, or by Esc.
        SamplingSettings settings = window_->chatPane()->sampling()->settings();
        settings.temperature = 0;
        settings.repeatPenalty = 1;
        settings.maxTokens = 500;
        window_->chatPane()->sampling()->setSettings(settings);
        QSignalSpy first_token(window_->chat(), &ChatController::firstToken);
        QSignalSpy ended(window_->chat(), &ChatController::replyEnded);
        send(QStringLiteral("Once upon a time"));
        QVERIFY(first_token.wait(30000));
        QTest::keyClick(window_.get(), Qt::Key_Escape);
        QVERIFY(ended.wait(30000));
        QVERIFY(ended.front().at(1).toBool());  // stopped, not failed
        const QVector<Message>& messages = window_->chat()->messages();
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages.back().stats.stopReason, QStringLiteral("stopped"));
        QVERIFY(messages.back().tokens.size() < 500);
    }

    void droppingAModelOnTheWindowLoadsIt() {
        namespace fs = std::filesystem;
        const fs::path models = fs::path(home().filePath(QStringLiteral("dropped")).toStdString());
        fs::create_directories(models);
        fs::copy(fs::path(LOOM_RESOURCES_DIR) / "models" / "stories260K", models / "stories-copy");
        fs::copy(models / "stories-copy", models / "stories-cut");
        fs::resize_file(models / "stories-cut" / "model.safetensors", 4000);  // a download cut short

        auto drop = [&](const fs::path& path) {
            QMimeData mime;
            mime.setUrls({QUrl::fromLocalFile(QString::fromStdString(path.string()))});
            QDragEnterEvent enter(QPoint(300, 300), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(window_.get(), &enter);
            QVERIFY(enter.isAccepted());
            QDropEvent dropped(QPointF(300, 300), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(window_.get(), &dropped);
        };
        const QString copy = QString::fromStdString((models / "stories-copy").string());
        drop(models / "stories-copy");
        QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(window_->engine()->model()->path).canonicalFilePath(),
                                  QFileInfo(copy).canonicalFilePath(), 30000);
        QVERIFY(window_->catalog()->userPaths().contains(copy));  // listed, and remembered

        // A corrupt model: the engine's message is shown, and the model loaded before stays in use.
        drop(models / "stories-cut");
        QTRY_VERIFY_WITH_TIMEOUT(
            window_->statusBar()->currentMessage().contains(QStringLiteral("Could not load")), 30000);
        QCOMPARE(QFileInfo(window_->engine()->model()->path).canonicalFilePath(),
                 QFileInfo(copy).canonicalFilePath());
        QSignalSpy ended(window_->chat(), &ChatController::replyEnded);
        send(QStringLiteral(" The dog"));
        QVERIFY(ended.wait(30000));
        QVERIFY(ended.front().at(1).toBool());
    }

    void restartBringsBackTheConversationAndTheDraft() {
        const qint64 conversation = window_->chat()->currentConversation();
        const int messages = window_->chat()->messages().size();
        QTest::keyClicks(window_->chatPane()->input(), QStringLiteral("words not sent yet"));
        window_->close();
        window_.reset();

        open_window();
        QCOMPARE(window_->chat()->currentConversation(), conversation);
        QCOMPARE(window_->chat()->messages().size(), messages);
        QCOMPARE(window_->chatPane()->input()->toPlainText(), QStringLiteral("words not sent yet"));
        window_->grab().save(artifacts_dir() + QStringLiteral("/main_window_restarted.png"));
    }
};

int main(int argc, char** argv) {
    // A display of its own and a home of its own: no real conversations, settings or model cache touched.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("QTWEBENGINE_DISABLE_SANDBOX", "1");  // WebEngine refuses to run as root with its sandbox
    qputenv("XDG_DATA_HOME", home().filePath(QStringLiteral("data")).toLocal8Bit());
    qputenv("XDG_CONFIG_HOME", home().filePath(QStringLiteral("config")).toLocal8Bit());
    qputenv("HF_HUB_CACHE", home().filePath(QStringLiteral("hub")).toLocal8Bit());
    // A machine without a Vulkan driver: the app must start and run on the CPU, saying so.
    qputenv("VK_ICD_FILENAMES", "/nonexistent/vulkan/icd.json");
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("LoomTest"));
    QApplication::setApplicationName(QStringLiteral("loom-gui-test"));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                       home().filePath(QStringLiteral("config")));
    TestMainWindow test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_main_window.moc"
