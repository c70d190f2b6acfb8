// The panel fed by a real engine run, as the app's engine worker feeds it: the built-in model (stories260K)
// writes a story with capture on, capture_views turns the recorder's data into the panel's values, and the
// panel's requests are answered from the same recorder. Screenshots of what a user sees are saved in the
// build directory (visualizer-stories260K-*.png).
#include <QSignalSpy>
#include <QtTest>

#include <memory>
#include <span>
#include <vector>

#include "api/builtin_model.h"
#include "api/capture_recorder.h"
#include "model/session.h"
#include "panel_test_support.h"
#include "sampling/sampler.h"
#include "visualizer/capture_views.h"
#include "visualizer/visualizer_panel.h"

using namespace loom;
using namespace loom::test;
using loom::ui::VisualizerPanel;

class TestVisualizerLive : public QObject {
    Q_OBJECT
  private slots:
    void storyFromTheBuiltInModel() {
        LoadOptions load;
        load.model = builtin_model_path().string();
        std::shared_ptr<Model> model = Model::load(load);
        const Tokenizer& tokenizer = model->tokenizer();
        Session session(model);
        CaptureRecorder recorder(model->config());
        const CapturePlan plan = recorder.plan();
        const CaptureSink sink = recorder.sink();

        VisualizerPanel panel;
        panel.resize(620, 1000);
        panel.show();
        QVERIFY(wait_until_loaded(panel));
        const ModelConfig& config = model->config();
        panel.setModel({"stories260K", config.layers, config.heads, config.hidden_size});
        // The worker's side: answer the panel's requests from the recorder.
        connect(&panel, &VisualizerPanel::attentionRequested, &panel,
                [&](qint64 position, int layer, int head) {
                    panel.setAttention(ui::make_attention_view(recorder, position, layer, head));
                });
        connect(&panel, &VisualizerPanel::logitLensRequested, &panel, [&](qint64 position) {
            panel.setLogitLens(ui::make_logit_lens_view(*model, recorder, tokenizer, position));
        });

        // The prompt in one batch, then greedy tokens one by one, each sent to the panel as it comes.
        std::vector<int32_t> ids = tokenizer.encode("Once upon a time, there was a little girl named Lily.");
        const qint64 prompt_length = qint64(ids.size());
        std::span<const float> logits = session.evaluate(ids, &plan, sink);
        QVector<int> all_ids(ids.begin(), ids.end());
        panel.appendPositions(
            ui::make_position_captures(recorder, tokenizer, 0, qint64(ids.size()), all_ids));
        for (int i = 0; i < 30; ++i) {
            const int32_t next = top_logprobs(logits, 1).front().id;
            ids.push_back(next);
            all_ids.append(next);
            logits = session.evaluate(std::span<const int32_t>(&ids.back(), 1), &plan, sink);
            panel.appendPositions(
                ui::make_position_captures(recorder, tokenizer, qint64(ids.size()) - 1, 1, all_ids));
        }
        const int positions = int(ids.size());
        QTRY_COMPARE_WITH_TIMEOUT(page_state(panel).value("positions").toInt(), positions, 10000);
        QCOMPARE(page_state(panel).value("selected").toInt(), positions - 1);
        QCOMPARE(page_state(panel).value("layers").toInt(), config.layers);

        // Look at the prompt's last token, the full stop after "Lily", where the model starts its own
        // sentence.
        const qint64 stop = prompt_length - 1;
        QCOMPARE(ui::display_token_text(tokenizer, ids[size_t(stop)]), QStringLiteral("."));
        panel.selectPosition(stop);
        QTRY_COMPARE_WITH_TIMEOUT(page_state(panel).value("selected").toLongLong(), stop, 5000);

        const QString directory = QStringLiteral(LOOM_BINARY_DIR);
        const struct {
            const char* view;
            const char* ready;
        } views[] = {{"hidden", "hasHiddenStates"},
                     {"attention", "hasAttention"},
                     {"lens", "hasLogitLens"},
                     {"next", "hasHiddenStates"}};
        for (const auto& view : views) {
            click(panel, QStringLiteral("#tabs button[data-view=\"%1\"]").arg(view.view));
            QVERIFY(wait_for_state(panel, view.ready, true, 10000));
            settle();
            const QString problem =
                save_screenshot(panel, directory + "/visualizer-stories260K-" + view.view + ".png");
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
        // One head of the last layer, large.
        click(panel, "#tabs button[data-view=\"attention\"]");
        run_js(panel, "Loom.app.actions.chooseAttention(4, 1)");
        QTRY_VERIFY_WITH_TIMEOUT(run_js(panel,
                                        "(() => { const a = Loom.app.state.attention;"
                                        " return a.status === 'ready' && a.view.layer === 4; })()")
                                     .toBool(),
                                 10000);
        settle();
        const QString problem =
            save_screenshot(panel, directory + "/visualizer-stories260K-attention-head.png");
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(page_state(panel).value("errors").toStringList().isEmpty());
    }
};

LOOM_WEBENGINE_TEST_MAIN(TestVisualizerLive)
#include "test_visualizer_live.moc"
