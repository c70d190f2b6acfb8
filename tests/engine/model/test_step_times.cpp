// The step timer (model/step_times.h) on the built-in model: every step of a pass is timed once per pass,
// the steps add up to no more than the passes took, and captures are kept apart from the steps.
#include <QtTest>

#include <chrono>

#include "api/builtin_model.h"
#include "model/session.h"
#include "model/step_times.h"

using namespace loom;

namespace {

std::shared_ptr<Model> builtin_model() {
    LoadOptions load;
    load.model = builtin_model_path().string();
    load.threads = 1;
    return Model::load(load);
}

}  // namespace

class TestStepTimes : public QObject {
    Q_OBJECT
  private slots:
    void timesEveryStepOfEveryPass() {
        std::shared_ptr<Model> model = builtin_model();
        Session session(model);
        StepTimes times;
        session.time_steps(&times);
        const int32_t bos = model->config().bos_token_id.value_or(1);
        const std::vector<int32_t> prompt = {bos, 400, 401, 402};
        const auto start = std::chrono::steady_clock::now();
        session.evaluate(prompt);
        session.evaluate(std::span<const int32_t>(&prompt[1], 1));
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        QCOMPARE(times.passes(), int64_t{2});
        // Each layer's steps end once per layer and pass, the output head's once per pass.
        const int64_t layer_steps = 2 * int64_t{model->config().layers};
        for (Tap tap : {Tap::AttnNorm, Tap::Q, Tap::K, Tap::V, Tap::AttnOut, Tap::AttnProj, Tap::FfnNorm,
                        Tap::FfnGate, Tap::FfnUp, Tap::FfnAct, Tap::FfnOut})
            QVERIFY2(times.count(tap) == layer_steps, step_name(tap).data());
        QCOMPARE(times.count(Tap::Residual), layer_steps + 2);  // and after each pass's embedding
        QCOMPARE(times.count(Tap::FinalNorm), int64_t{2});
        QCOMPARE(times.count(Tap::Logits), int64_t{2});
        QCOMPARE(times.count(Tap::AttnProbs), int64_t{0});  // not computed unless captured
        QVERIFY(times.total_seconds() > 0);
        QVERIFY(times.total_seconds() <= wall);
        QCOMPARE(times.captures(), int64_t{0});

        // Stopped: later passes add nothing.
        session.time_steps(nullptr);
        const double before = times.total_seconds();
        session.evaluate(std::span<const int32_t>(&prompt[2], 1));
        QCOMPARE(times.passes(), int64_t{2});
        QCOMPARE(times.total_seconds(), before);
    }

    void capturesAreTimedApart() {
        std::shared_ptr<Model> model = builtin_model();
        Session session(model);
        StepTimes times;
        session.time_steps(&times);
        CapturePlan plan;
        plan.hidden_states = LayerSelection::every();
        plan.attention = LayerSelection::every();
        int captured = 0;
        const int32_t bos = model->config().bos_token_id.value_or(1);
        session.evaluate(std::span<const int32_t>(&bos, 1), &plan, [&](const Captured&) { ++captured; });
        QVERIFY(captured > 0);
        QCOMPARE(times.captures(), int64_t{captured});
    }

    void namesSayWhatEachStepDoes() {
        QCOMPARE(step_name(Tap::AttnOut), std::string_view("attention"));
        QCOMPARE(step_name(Tap::K), step_name(Tap::Q));  // one step projects and rotates all three
        QCOMPARE(step_name(Tap::FfnUp), step_name(Tap::FfnGate));
        for (int t = 0; t < static_cast<int>(Tap::Count); ++t)
            QVERIFY(step_name(static_cast<Tap>(t)) != "?");
    }
};

QTEST_APPLESS_MAIN(TestStepTimes)
#include "test_step_times.moc"
