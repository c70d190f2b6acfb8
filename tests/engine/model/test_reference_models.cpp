// The engine's forward pass against golden outputs of a PyTorch reference (tests/reference/): every hidden
// state, attention map, final norm and logit row within 1e-4 of the reference relative to the row's norm,
// and greedy continuations token for token.
#include <QtTest>

#include <map>
#include <nlohmann/json.hpp>

#include "api/generate.h"
#include "formats/json_fields.h"
#include "formats/safetensors.h"
#include "model/session.h"
#include "test_support.h"

using namespace loom;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-4;

std::string golden_name(const Captured& c, int prompt) {
    std::string p = cat("p", prompt, ".");
    switch (c.tap) {
        case Tap::Residual:
            return p + "hidden." + std::to_string(c.layer);
        case Tap::AttnProbs:
            return p + "attention." + std::to_string(c.layer);
        case Tap::FinalNorm:
            return p + "final_norm";
        case Tap::Logits:
            return p + "logits";
        default:
            return "";
    }
}

// Golden rows are [n, cols] (attention: [heads, n, n]); captured rows may be a window of them (a chunk of the
// prompt, attention over positions 0..pos0+n). Compares row by row, each relative to its own norm.
double worst_row_error(const Captured& c, const StoredTensor& golden, int64_t prompt_length) {
    const float* g = reinterpret_cast<const float*>(golden.data.data());
    double worst = 0;
    for (int64_t row = 0; row < c.rows; ++row) {
        const float* got = c.values.data() + row * c.cols;
        const float* want;
        if (c.tap == Tap::AttnProbs) {
            int64_t head = row / c.tokens, token = c.pos0 + row % c.tokens;
            want = g + (head * prompt_length + token) * prompt_length;  // golden row length = prompt_length
        } else {
            want = g + (c.pos0 + row) * c.cols;
        }
        worst = std::max(worst, test::relative_error({got, size_t(c.cols)}, {want, size_t(c.cols)}));
    }
    return worst;
}

}  // namespace

class TestReferenceModels : public QObject {
    Q_OBJECT
  private slots:
    void matchesReference_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("batch");
        for (const char* name : {"llama-gqa-f32", "llama-gqa-bf16", "llama3-rope-scaling-f32",
                                 "qwen2-bias-f32", "qwen2-bias-bf16"}) {
            QTest::newRow((std::string(name) + " whole prompt").c_str()) << QString(name) << 64;
            QTest::newRow((std::string(name) + " chunks of 7").c_str()) << QString(name) << 7;
        }
    }

    void matchesReference() {
        QFETCH(QString, model);
        QFETCH(int, batch);
        fs::path folder = test::data_dir() / "reference" / model.toStdString();
        LoadOptions load;
        load.model = folder.string();
        load.threads = 2;
        std::shared_ptr<Model> m = Model::load(load);
        TensorSet golden;
        read_safetensors_file(folder / "golden.safetensors", golden);
        nlohmann::json expected = read_json_file(folder / "golden.json");

        for (int p = 0; p < 2; ++p) {
            const auto& prompt_json = expected["prompts"][size_t(p)];
            std::vector<int32_t> prompt = prompt_json["input_ids"].get<std::vector<int32_t>>();
            const int64_t n = static_cast<int64_t>(prompt.size());

            CapturePlan plan;
            plan.hidden_states = LayerSelection::every();
            plan.attention = LayerSelection::every();
            plan.final_norm = true;
            plan.logits = true;
            std::map<std::string, int> seen_rows;
            double worst = 0;
            CaptureSink sink = [&](const Captured& c) {
                std::string name = golden_name(c, p);
                const StoredTensor* g = golden.find(name);
                QVERIFY2(g, name.c_str());
                double error = worst_row_error(c, *g, n);
                QVERIFY2(error < kTolerance, (name + " differs by " + std::to_string(error)).c_str());
                worst = std::max(worst, error);
                seen_rows[name] += int(c.tokens);
            };
            SessionOptions session_options;
            session_options.batch_size = batch;
            Session session(m, session_options);
            std::span<const float> logits = session.evaluate(prompt, &plan, sink);
            QCOMPARE(int(seen_rows.size()), 2 * m->config().layers + 1 + 2);
            for (const auto& [name, rows] : seen_rows)
                QCOMPARE(rows, int(n));

            // The returned logits are the last row of the reference's.
            const float* last =
                reinterpret_cast<const float*>(golden.find(cat("p", p, ".logits"))->data.data()) +
                (n - 1) * m->config().vocab_size;
            QVERIFY(test::relative_error(logits, {last, size_t(m->config().vocab_size)}) < kTolerance);

            GenerateOptions greedy;
            greedy.sampling = SamplingOptions::greedy();
            greedy.max_tokens = 12;
            greedy.stop_at_end_of_generation = false;
            std::vector<int32_t> generated;
            generate(session, prompt, greedy, [&](const GeneratedToken& t) {
                generated.push_back(t.id);
                return true;
            });
            QCOMPARE(generated, prompt_json["greedy_next_ids"].get<std::vector<int32_t>>());
            qInfo("%s p%d: worst row error %.2g", qPrintable(model), p, worst);
        }
    }

    void captureSelectsLayers() {
        LoadOptions load;
        load.model = (test::data_dir() / "reference" / "llama-gqa-f32").string();
        std::shared_ptr<Model> m = Model::load(load);
        std::vector<int32_t> prompt = {1, 403, 407, 261};
        std::vector<std::pair<Tap, int>> seen;
        CaptureSink sink = [&](const Captured& c) { seen.emplace_back(c.tap, c.layer); };

        Session quiet(m);
        CapturePlan nothing;
        quiet.evaluate(prompt, &nothing, sink);
        QVERIFY(seen.empty());

        CapturePlan plan;
        plan.hidden_states = LayerSelection::only({0, -1});
        plan.attention = LayerSelection::only({-2});
        plan.more = {{Tap::Q, LayerSelection::only({1})}};
        Session session(m);
        session.evaluate(prompt, &plan, sink);
        const int layers = m->config().layers;
        std::vector<std::pair<Tap, int>> expected = {
            {Tap::Residual, 0}, {Tap::Q, 1}, {Tap::AttnProbs, layers - 2}, {Tap::Residual, layers}};
        QCOMPARE(seen, expected);

        CapturePlan bad;
        bad.hidden_states = LayerSelection::only({layers + 1});
        test::expect_error([&] { session.evaluate(prompt, &bad, sink); }, "does not exist");
    }

    void truncatingReusesTheCache() {
        LoadOptions load;
        load.model = (test::data_dir() / "reference" / "qwen2-bias-f32").string();
        std::shared_ptr<Model> m = Model::load(load);
        std::vector<int32_t> a = {10, 20, 30, 40, 50}, b = {10, 20, 30, 77};
        Session fresh(m);
        std::span<const float> fresh_logits = fresh.evaluate(b);
        std::vector<float> expected(fresh_logits.begin(), fresh_logits.end());
        Session session(m);
        session.evaluate(a);
        session.truncate(3);
        std::vector<int32_t> rest = {77};
        std::span<const float> got = session.evaluate(rest);
        QCOMPARE(session.tokens(), b);
        QVERIFY(test::relative_error(got, expected) < 1e-6);
    }
};

QTEST_APPLESS_MAIN(TestReferenceModels)
#include "test_reference_models.moc"
