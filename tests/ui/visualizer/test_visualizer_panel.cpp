// The visualizer panel on its own, with synthetic data: its page (Qt WebEngine, offscreen) receives what the
// panel is given, reports clicks back as signals, asks for attention and the logit lens when the selection
// or the chosen layer and head change, ignores late answers, stays off the network, follows the palette;
// and a screenshot of every view is saved in the build directory.
#include <QSignalSpy>
#include <QWebEnginePage>
#include <QtTest>

#include "panel_test_support.h"
#include "visualizer/local_only_interceptor.h"
#include "visualizer/visualizer_panel.h"
#include "visualizer_test_data.h"

using namespace loom;
using namespace loom::test;
using loom::ui::VisualizerPanel;

class TestVisualizerPanel : public QObject {
    Q_OBJECT

    test::SyntheticModel model_;
    std::unique_ptr<VisualizerPanel> panel_;

    VisualizerPanel& fresh_panel() {
        panel_ = std::make_unique<VisualizerPanel>();
        panel_->resize(640, 900);
        panel_->show();
        return *panel_;
    }

  private slots:
    void cleanup() {
        // No script error on the page, whatever the test did.
        if (panel_ && panel_->isPageLoaded()) {
            const QStringList errors = page_state(*panel_).value("errors").toStringList();
            QVERIFY2(errors.isEmpty(), qPrintable("script errors on the page: " + errors.join("; ")));
        }
        panel_.reset();
    }

    void pageLoadsFromResources() {
        VisualizerPanel& panel = fresh_panel();
        QVERIFY(wait_until_loaded(panel));
        const QVariantMap state = page_state(panel);
        QCOMPARE(state.value("connected").toBool(), true);
        QCOMPARE(state.value("positions").toInt(), 0);
        QCOMPARE(state.value("selected").toInt(), -1);
        QCOMPARE(panel.blockedRequests(), 0);  // the page needs nothing from the network
    }

    void positionsReachThePage() {
        VisualizerPanel& panel = fresh_panel();
        QVERIFY(wait_until_loaded(panel));
        panel.setModel(test::synthetic_model_info(model_));
        panel.appendPositions(test::synthetic_positions(model_, 0, 6));
        QVERIFY(wait_for_state(panel, "positions", 6));
        QVariantMap state = page_state(panel);
        QCOMPARE(state.value("layers").toInt(), model_.layers);
        QCOMPARE(state.value("hasHiddenStates").toBool(), true);
        QCOMPARE(state.value("selected").toInt(), 5);  // follows the latest by default
        QCOMPARE(state.value("following").toBool(), true);

        // Replacing positions keeps the count; appending moves the selection along.
        panel.appendPositions(test::synthetic_positions(model_, 4, 4));
        QVERIFY(wait_for_state(panel, "positions", 8));
        QCOMPARE(page_state(panel).value("selected").toInt(), 7);
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelectorAll('#token-strip .token').length").toInt(), 8, 5000);

        panel.truncate(3);
        QVERIFY(wait_for_state(panel, "positions", 3));
        QCOMPARE(page_state(panel).value("selected").toInt(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelectorAll('#token-strip .token').length").toInt(), 3, 5000);

        // A new model starts over.
        panel.setModel(test::synthetic_model_info({12, 4, 32}));
        QVERIFY(wait_for_state(panel, "positions", 0));
        QCOMPARE(page_state(panel).value("layers").toInt(), 12);
        QCOMPARE(page_state(panel).value("selected").toInt(), -1);
    }

    void dataGivenBeforeThePageLoadsIsShown() {
        panel_ = std::make_unique<VisualizerPanel>();
        VisualizerPanel& panel = *panel_;
        panel.setModel(test::synthetic_model_info(model_));
        panel.appendPositions(test::synthetic_positions(model_, 0, 10));
        panel.show();
        QVERIFY(wait_until_loaded(panel));
        QVERIFY(wait_for_state(panel, "positions", 10));
        QCOMPARE(page_state(panel).value("selected").toInt(), 9);
    }

    void clickingATokenSelectsIt() {
        VisualizerPanel& panel = fresh_panel();
        QVERIFY(wait_until_loaded(panel));
        panel.setModel(test::synthetic_model_info(model_));
        panel.appendPositions(test::synthetic_positions(model_, 0, 12));
        QVERIFY(wait_for_state(panel, "positions", 12));

        QSignalSpy selected(&panel, &VisualizerPanel::positionSelected);
        click(panel, "#token-strip .token[data-position=\"4\"]");
        QCOMPARE(next_signal(selected).value(0).toLongLong(), 4);
        QVERIFY(wait_for_state(panel, "selected", 4));
        QCOMPARE(panel.selectedPosition(), 4);
        QCOMPARE(panel.followsLatest(), false);
        // The page draws on its next animation frame, after its state changed.
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelector('#token-strip .token.selected').dataset.position")
                .toString(),
            QString("4"), 5000);

        // New tokens do not move a selection the user made.
        panel.appendPositions(test::synthetic_positions(model_, 12, 3));
        QVERIFY(wait_for_state(panel, "positions", 15));
        QCOMPARE(page_state(panel).value("selected").toInt(), 4);

        // Clicking a column of the norms heatmap selects that token too.
        run_js(panel,
               "(() => { const h = Loom.app.views.hidden.heatmap; const c = h.cellCenter(2, 9);"
               " h.element.dispatchEvent(new MouseEvent('click', {clientX: c.x, clientY: c.y})); })()");
        QCOMPARE(next_signal(selected).value(0).toLongLong(), 9);

        // "Follow latest" goes back to the newest token and says so with -1.
        click(panel, "#follow-latest");
        QCOMPARE(next_signal(selected).value(0).toLongLong(), -1);
        QVERIFY(wait_for_state(panel, "selected", 14));
        QCOMPARE(panel.followsLatest(), true);

        // selectPosition() from the app selects without echoing the signal.
        panel.selectPosition(2);
        QVERIFY(wait_for_state(panel, "selected", 2));
        QTest::qWait(100);
        QCOMPARE(selected.count(), 0);
        panel.selectPosition(-1);
        QVERIFY(wait_for_state(panel, "selected", 14));
    }

    void attentionAndLogitLensAreRequestedForWhatIsShown() {
        VisualizerPanel& panel = fresh_panel();
        QVERIFY(wait_until_loaded(panel));
        panel.setModel(test::synthetic_model_info(model_));
        QSignalSpy attention(&panel, &VisualizerPanel::attentionRequested);
        QSignalSpy lens(&panel, &VisualizerPanel::logitLensRequested);
        panel.appendPositions(test::synthetic_positions(model_, 0, 20));
        QVERIFY(wait_for_state(panel, "positions", 20));
        // The hidden-state view needs nothing from the worker.
        QTest::qWait(150);
        QCOMPARE(attention.count(), 0);
        QCOMPARE(lens.count(), 0);

        // Opening the attention view asks for the selected token, all heads of layer 0.
        click(panel, "#tabs button[data-view=\"attention\"]");
        QList<QVariant> request = next_signal(attention);
        QCOMPARE(request.size(), 3);
        QCOMPARE(request.at(0).toLongLong(), 19);
        QCOMPARE(request.at(1).toInt(), 0);
        QCOMPARE(request.at(2).toInt(), -1);
        QVERIFY(wait_for_state(panel, "attentionStatus", "computing"));
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelector('#view-attention .placeholder').textContent").toString(),
            QString("computing…"), 5000);

        // An answer for another position (a late one) is ignored; the right one is shown.
        panel.setAttention(test::synthetic_attention(model_, 18, 0, -1));
        panel.setAttention(test::synthetic_attention(model_, 19, 1, -1));
        QTest::qWait(100);
        QCOMPARE(page_state(panel).value("hasAttention").toBool(), false);
        panel.setAttention(test::synthetic_attention(model_, 19, 0, -1));
        QVERIFY(wait_for_state(panel, "hasAttention", true));
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelectorAll('#view-attention .head-grid canvas').length").toInt(),
            model_.heads, 5000);

        // Opening one head of the same layer needs no new request: the all-heads answer has it.
        run_js(panel, "Loom.app.actions.chooseAttention(0, 3)");
        QTest::qWait(200);
        QCOMPARE(attention.count(), 0);
        QVERIFY(wait_for_state(panel, "hasAttention", true));
        // Another layer does.
        run_js(panel, "Loom.app.actions.chooseAttention(2, 3)");
        request = next_signal(attention);
        QCOMPARE(request.size(), 3);
        QCOMPARE(request.at(0).toLongLong(), 19);
        QCOMPARE(request.at(1).toInt(), 2);
        QCOMPARE(request.at(2).toInt(), 3);

        // A new selection asks again, once, and forgets the old answer.
        QSignalSpy selected(&panel, &VisualizerPanel::positionSelected);
        click(panel, "#token-strip .token[data-position=\"7\"]");
        request = next_signal(attention);
        QCOMPARE(request.size(), 3);
        QCOMPARE(request.at(0).toLongLong(), 7);
        QCOMPARE(request.at(1).toInt(), 2);
        QCOMPARE(request.at(2).toInt(), 3);
        QTest::qWait(150);
        QCOMPARE(attention.count(), 0);
        QCOMPARE(page_state(panel).value("hasAttention").toBool(), false);
        panel.setAttention(test::synthetic_attention(model_, 7, 2, 3));
        QVERIFY(wait_for_state(panel, "hasAttention", true));

        // The worker recomputed an earlier position (the conversation was edited there): asked again.
        panel.appendPositions(test::synthetic_positions(model_, 5, 1));
        request = next_signal(attention);
        QCOMPARE(request.value(0).toLongLong(), 7);
        QVERIFY(wait_for_state(panel, "attentionStatus", "computing"));
        panel.setAttention(test::synthetic_attention(model_, 7, 2, 3));
        QVERIFY(wait_for_state(panel, "hasAttention", true));
        // Positions after the selected one change nothing for it.
        panel.appendPositions(test::synthetic_positions(model_, 12, 1));
        QTest::qWait(150);
        QCOMPARE(attention.count(), 0);
        QCOMPARE(page_state(panel).value("hasAttention").toBool(), true);

        // The logit lens: asked for when its view opens; a late answer is ignored.
        click(panel, "#tabs button[data-view=\"lens\"]");
        QCOMPARE(next_signal(lens).value(0).toLongLong(), 7);
        QVERIFY(wait_for_state(panel, "logitLensStatus", "computing"));
        panel.setLogitLens(test::synthetic_logit_lens(model_, 19));
        QTest::qWait(100);
        QCOMPARE(page_state(panel).value("hasLogitLens").toBool(), false);
        panel.setLogitLens(test::synthetic_logit_lens(model_, 7));
        QVERIFY(wait_for_state(panel, "hasLogitLens", true));
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelectorAll('#view-lens table.lens tbody tr').length").toInt(),
            model_.layers + 1, 5000);

        // Attention the recorder no longer keeps is said so, not computed forever.
        click(panel, "#tabs button[data-view=\"attention\"]");
        click(panel, "#token-strip .token[data-position=\"1\"]");
        QCOMPARE(next_signal(attention).value(0).toLongLong(), 1);
        ui::AttentionView dropped;
        dropped.position = 1;
        dropped.layer = 2;
        dropped.head = 3;
        panel.setAttention(dropped);
        QVERIFY(wait_for_state(panel, "attentionStatus", "unavailable"));
    }

    void nothingIsRequestedWhileHidden() {
        VisualizerPanel& panel = fresh_panel();
        QVERIFY(wait_until_loaded(panel));
        panel.setModel(test::synthetic_model_info(model_));
        panel.appendPositions(test::synthetic_positions(model_, 0, 5));
        QSignalSpy lens(&panel, &VisualizerPanel::logitLensRequested);
        click(panel, "#tabs button[data-view=\"lens\"]");
        QCOMPARE(next_signal(lens).value(0).toLongLong(), 4);

        QSignalSpy shown(&panel, &VisualizerPanel::shownChanged);
        panel.hide();
        QCOMPARE(shown.count(), 1);
        QCOMPARE(shown.takeFirst().at(0).toBool(), false);
        panel.appendPositions(test::synthetic_positions(model_, 5, 3));
        QTest::qWait(200);
        QCOMPARE(lens.count(), 0);
        panel.show();
        QCOMPARE(shown.count(), 1);
        QCOMPARE(shown.takeFirst().at(0).toBool(), true);
        QCOMPARE(next_signal(lens).value(0).toLongLong(), 7);
    }

    void staysOffTheNetwork() {
        QVERIFY(!ui::LocalOnlyInterceptor::isAllowed(QUrl("http://example.com/chart.js")));
        QVERIFY(!ui::LocalOnlyInterceptor::isAllowed(QUrl("https://cdn.example.com/x.js")));
        QVERIFY(!ui::LocalOnlyInterceptor::isAllowed(QUrl("ws://127.0.0.1:1/")));
        QVERIFY(ui::LocalOnlyInterceptor::isAllowed(QUrl("qrc:/loom/web/visualizer.html")));
        QVERIFY(ui::LocalOnlyInterceptor::isAllowed(QUrl("qrc:///qtwebchannel/qwebchannel.js")));

        VisualizerPanel& panel = fresh_panel();
        QVERIFY(wait_until_loaded(panel));
        // A script's request fails (the page's content security policy or the interceptor stops it).
        run_js(panel,
               "window.fetchResult = 'pending'; fetch('http://127.0.0.1:9/data.json')"
               ".then(() => { window.fetchResult = 'loaded'; }, () => { window.fetchResult = 'refused'; })");
        QTRY_COMPARE_WITH_TIMEOUT(run_js(panel, "window.fetchResult").toString(), QString("refused"), 5000);
        // A navigation, which no page policy covers, is refused by the interceptor.
        panel.page()->load(QUrl("http://127.0.0.1:9/"));
        QTRY_VERIFY_WITH_TIMEOUT(panel.blockedRequests() >= 1, 10000);
    }

    void themeFollowsThePalette() {
        VisualizerPanel& panel = fresh_panel();
        QVERIFY(wait_until_loaded(panel));
        QPalette dark;
        dark.setColor(QPalette::Window, QColor("#202124"));
        dark.setColor(QPalette::WindowText, QColor("#e8eaed"));
        dark.setColor(QPalette::Base, QColor("#17181a"));
        dark.setColor(QPalette::Text, QColor("#e8eaed"));
        panel.setPalette(dark);
        QVERIFY(wait_for_state(panel, "dark", true));
        QTRY_COMPARE_WITH_TIMEOUT(run_js(panel, "getComputedStyle(document.body).backgroundColor").toString(),
                                  QString("rgb(32, 33, 36)"), 5000);
        panel.setPalette(QPalette(QColor("#f0f0f0")));
        QVERIFY(wait_for_state(panel, "dark", false));
    }

    // An 80-layer, 64-head model and a conversation of 1,050 tokens: attention arrives averaged in blocks
    // of 5 tokens (210 x 210 cells per head), the heatmaps and the 81-row logit lens still draw.
    void bigModelAndLongConversation() {
        const test::SyntheticModel big{80, 64, 8192};
        VisualizerPanel& panel = fresh_panel();
        panel.resize(520, 980);
        QVERIFY(wait_until_loaded(panel));
        panel.setModel(test::synthetic_model_info(big));
        QElapsedTimer timer;
        timer.start();
        panel.appendPositions(test::synthetic_positions(big, 0, 1000));
        for (qint64 p = 1000; p < 1050; ++p)
            panel.appendPositions(test::synthetic_positions(big, p, 1));  // streaming
        QVERIFY(wait_for_state(panel, "positions", 1050, 20000));
        QCOMPARE(page_state(panel).value("selected").toInt(), 1049);
        qInfo() << "1050 positions of 81 layers reached the page in" << timer.elapsed() << "ms";
        settle();
        save(panel, QStringLiteral(LOOM_BINARY_DIR "/visualizer-long-hidden-states.png"));

        connect(&panel, &VisualizerPanel::attentionRequested, &panel,
                [&](qint64 p, int l, int h) { panel.setAttention(test::synthetic_attention(big, p, l, h)); });
        connect(&panel, &VisualizerPanel::logitLensRequested, &panel,
                [&](qint64 p) { panel.setLogitLens(test::synthetic_logit_lens(big, p)); });
        timer.restart();
        click(panel, "#tabs button[data-view=\"attention\"]");
        QVERIFY(wait_for_state(panel, "hasAttention", true, 30000));
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelectorAll('#view-attention .head-grid canvas').length").toInt(),
            64, 20000);
        qInfo() << "64 heads of 210 x 210 cells computed, sent and drawn in" << timer.elapsed() << "ms";
        QCOMPARE(run_js(panel, "Loom.app.state.attention.view.stride").toInt(), 5);
        settle();
        save(panel, QStringLiteral(LOOM_BINARY_DIR "/visualizer-long-attention-heads.png"));

        click(panel, "#tabs button[data-view=\"lens\"]");
        QVERIFY(wait_for_state(panel, "hasLogitLens", true, 10000));
        QTRY_COMPARE_WITH_TIMEOUT(
            run_js(panel, "document.querySelectorAll('#view-lens table.lens tbody tr').length").toInt(), 81,
            5000);
        settle();
        save(panel, QStringLiteral(LOOM_BINARY_DIR "/visualizer-long-logit-lens.png"));
    }

    // Screenshots of the four views in the build directory (visualizer-*.png), for people to look at.
    void screenshots() {
        const QString directory = QStringLiteral(LOOM_BINARY_DIR);
        for (const bool dark : {false, true}) {
            VisualizerPanel& panel = fresh_panel();
            panel.resize(620, 980);
            if (dark) {
                QPalette palette;
                palette.setColor(QPalette::Window, QColor("#1f2023"));
                palette.setColor(QPalette::WindowText, QColor("#e6e6e6"));
                palette.setColor(QPalette::Base, QColor("#16171a"));
                palette.setColor(QPalette::AlternateBase, QColor("#24262a"));
                palette.setColor(QPalette::Button, QColor("#2b2d31"));
                palette.setColor(QPalette::Text, QColor("#e6e6e6"));
                palette.setColor(QPalette::Highlight, QColor("#3d8bfd"));
                palette.setColor(QPalette::HighlightedText, QColor("#ffffff"));
                panel.setPalette(palette);
            }
            QVERIFY(wait_until_loaded(panel));
            panel.setModel(test::synthetic_model_info(model_));
            panel.appendPositions(test::synthetic_positions(model_, 0, 48));
            panel.selectPosition(28);
            QVERIFY(wait_for_state(panel, "selected", 28));
            connect(&panel, &VisualizerPanel::attentionRequested, &panel, [&](qint64 p, int l, int h) {
                panel.setAttention(test::synthetic_attention(model_, p, l, h));
            });
            connect(&panel, &VisualizerPanel::logitLensRequested, &panel,
                    [&](qint64 p) { panel.setLogitLens(test::synthetic_logit_lens(model_, p)); });

            const QString suffix = dark ? "-dark" : "";
            const struct {
                const char* view;
                const char* name;
                const char* ready;
            } shots[] = {{"hidden", "hidden-states", "hasHiddenStates"},
                         {"attention", "attention-heads", "hasAttention"},
                         {"lens", "logit-lens", "hasLogitLens"},
                         {"next", "next-token", "hasHiddenStates"}};
            for (const auto& shot : shots) {
                click(panel, QStringLiteral("#tabs button[data-view=\"%1\"]").arg(shot.view));
                QVERIFY(wait_for_state(panel, shot.ready, true));
                settle();
                save(panel, directory + "/visualizer-" + shot.name + suffix + ".png");
            }
            // One head, large.
            click(panel, "#tabs button[data-view=\"attention\"]");
            run_js(panel, "Loom.app.actions.chooseAttention(1, 2)");
            QTRY_VERIFY_WITH_TIMEOUT(run_js(panel,
                                            "(() => { const a = Loom.app.state.attention;"
                                            " return a.status === 'ready' && a.view.layer === 1; })()")
                                         .toBool(),
                                     5000);
            settle();
            // With a tooltip: the pointer over query 20, key 12.
            hover_cell(panel, "Loom.app.views.attention.matrixHeatmap", 20, 12);
            QTRY_VERIFY_WITH_TIMEOUT(
                run_js(panel, "document.getElementById('tooltip').hidden").toBool() == false, 5000);
            settle(100);
            save(panel, directory + "/visualizer-attention-head" + suffix + ".png");
        }
    }

  private:
    // Moves the pointer (a synthetic mousemove) over a cell of a heatmap, given as a JavaScript expression.
    void hover_cell(VisualizerPanel& panel, const QString& heatmap, int row, int col) {
        run_js(
            panel,
            QStringLiteral(
                "(() => { const h = %1; const c = h.cellCenter(%2, %3);"
                " h.element.dispatchEvent(new MouseEvent('mousemove', {clientX: c.x, clientY: c.y})); })()")
                .arg(heatmap)
                .arg(row)
                .arg(col));
    }

    void save(VisualizerPanel& panel, const QString& path) {
        const QString problem = save_screenshot(panel, path);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
};

LOOM_WEBENGINE_TEST_MAIN(TestVisualizerPanel)
#include "test_visualizer_panel.moc"
