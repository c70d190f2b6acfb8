// capture_views on a real engine run of the built-in model (stories260K: 5 layers, 8 heads, vocab 512): the
// positions the panel gets match the session, attention rows are distributions, long conversations are
// block-averaged exactly as documented, and the logit lens of the last layer is the model's own prediction.
#include <QtTest>

#include <cmath>
#include <memory>
#include <vector>

#include "api/builtin_model.h"
#include "api/capture_recorder.h"
#include "model/session.h"
#include "sampling/sampler.h"
#include "util/error.h"
#include "visualizer/capture_views.h"

using namespace loom;
using namespace loom::ui;

namespace {

const char* kStory =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.\n"
    "One day, she saw a big, red ball. She wanted to play with it, but it was too high. ";

// A model run whose every position was captured.
struct Run {
    std::shared_ptr<Model> model;
    std::unique_ptr<Session> session;
    std::unique_ptr<CaptureRecorder> recorder;
    std::vector<int32_t> ids;

    QVector<int> qt_ids() const { return QVector<int>(ids.begin(), ids.end()); }
};

std::shared_ptr<Model> builtin_model() {
    static std::shared_ptr<Model> model = [] {
        LoadOptions load;
        load.model = builtin_model_path().string();
        load.threads = 1;
        return Model::load(load);
    }();
    return model;
}

// BOS + the story repeated, cut to `tokens` tokens, evaluated in one go (prompt) plus `generated` greedy
// tokens evaluated one by one (as a chat generates).
Run run_model(size_t tokens, int generated, const CaptureRecorderOptions& options = {}) {
    Run run;
    run.model = builtin_model();
    run.session = std::make_unique<Session>(run.model);
    run.recorder = std::make_unique<CaptureRecorder>(run.model->config(), options);
    const Tokenizer& tokenizer = run.model->tokenizer();
    std::string text;
    while (run.ids.size() < tokens) {
        text += kStory;
        run.ids = tokenizer.encode(text);
    }
    run.ids.resize(tokens);
    const CapturePlan plan = run.recorder->plan();
    const CaptureSink sink = run.recorder->sink();
    std::span<const float> logits = run.session->evaluate(run.ids, &plan, sink);
    for (int i = 0; i < generated; ++i) {
        const int32_t next = top_logprobs(logits, 1).front().id;
        run.ids.push_back(next);
        logits = run.session->evaluate(std::span<const int32_t>(&run.ids.back(), 1), &plan, sink);
    }
    return run;
}

template <class Action>
void expect_error(Action&& action, const char* expected) {
    try {
        action();
    } catch (const Error& e) {
        QVERIFY2(QString(e.what()).contains(expected), e.what());
        return;
    }
    QFAIL(qPrintable(QString("expected an error mentioning '%1'").arg(expected)));
}

}  // namespace

class TestCaptureViews : public QObject {
    Q_OBJECT
  private slots:
    void positionsMatchTheSession() {
        const Run run = run_model(12, 6);
        const Tokenizer& tokenizer = run.model->tokenizer();
        const qint64 count = qint64(run.ids.size());
        QCOMPARE(run.recorder->positions(), count);

        const QVector<PositionCapture> all =
            make_position_captures(*run.recorder, tokenizer, 0, count, run.qt_ids());
        QCOMPARE(all.size(), count);
        for (qint64 p = 0; p < count; ++p) {
            const PositionCapture& capture = all[p];
            QCOMPARE(capture.position, p);
            QCOMPARE(capture.tokenId, run.ids[size_t(p)]);
            QCOMPARE(capture.text, display_token_text(tokenizer, capture.tokenId));
            const std::vector<float> norms = run.recorder->hidden_norms(p);
            QCOMPARE(capture.hiddenNorms.size(), qsizetype(run.model->config().layers + 1));
            for (qsizetype l = 0; l < capture.hiddenNorms.size(); ++l) {
                QCOMPARE(capture.hiddenNorms[l], norms[size_t(l)]);
                QVERIFY(capture.hiddenNorms[l] > 0);
            }
            QCOMPARE(capture.next.size(), 10);
            for (qsizetype k = 1; k < capture.next.size(); ++k)
                QVERIFY(capture.next[k].probability <= capture.next[k - 1].probability);
            QVERIFY(capture.next[0].probability > 0 && capture.next[0].probability <= 1);
            // Generated tokens were the greedy choice: the top alternative of the position before.
            if (p >= 12) QCOMPARE(all[p - 1].next[0].id, run.ids[size_t(p)]);
        }
        // BOS, a special token, shows its piece; words show their leading space (SentencePiece gives the
        // first word one too: its token is "▁Once").
        QCOMPARE(all[0].text, QString("<s>"));
        QCOMPARE(QString::fromStdString(tokenizer.piece(run.ids[1])), QString("▁Once"));
        QCOMPARE(all[1].text, QString("␣Once"));
        QCOMPARE(all[2].text, QString("␣upon"));

        // The ids of just the positions asked for work as well as the whole conversation's.
        const QVector<int> tail(run.ids.begin() + 5, run.ids.begin() + 9);
        const QVector<PositionCapture> some = make_position_captures(*run.recorder, tokenizer, 5, 4, tail);
        QCOMPARE(some.size(), 4);
        QCOMPARE(some[0].position, 5);
        QCOMPARE(some[3].tokenId, run.ids[8]);
        QCOMPARE(some[2].next[0].id, all[7].next[0].id);

        expect_error([&] { make_position_captures(*run.recorder, tokenizer, count - 1, 2, run.qt_ids()); },
                     "were not all captured");
        expect_error(
            [&] {
                make_position_captures(*run.recorder, tokenizer, 3, 4, QVector<int>{1, 2});
            },
            "token ids");
    }

    void tokenTextsMakeWhitespaceVisible() {
        const Tokenizer& tokenizer = builtin_model()->tokenizer();
        QCOMPARE(display_token_text(tokenizer, *tokenizer.find_token("<0x0A>")), QString("↵"));
        QCOMPARE(display_token_text(tokenizer, *tokenizer.find_token("<0x09>")), QString("⇥"));
        QCOMPARE(display_token_text(tokenizer, *tokenizer.find_token("<0x0D>")), QString("␍"));
        QCOMPARE(display_token_text(tokenizer, *tokenizer.find_token("▁the")), QString("␣the"));
        QCOMPARE(display_token_text(tokenizer, *tokenizer.find_token("▁")), QString("␣"));
        // Half of a UTF-8 character decodes to nothing printable: its piece is shown instead.
        QCOMPARE(display_token_text(tokenizer, *tokenizer.find_token("<0xE2>")), QString("<0xE2>"));
        expect_error([&] { display_token_text(tokenizer, 512); }, "outside the vocabulary");
        expect_error([&] { display_token_text(tokenizer, -1); }, "outside the vocabulary");
    }

    void attentionRowsAreDistributions() {
        const Run run = run_model(20, 4);
        const qint64 position = qint64(run.ids.size()) - 1;  // 23
        const int heads = run.model->config().heads;
        for (int layer = 0; layer < run.model->config().layers; ++layer) {
            const AttentionView view = make_attention_view(*run.recorder, position, layer, -1);
            QCOMPARE(view.position, position);
            QCOMPARE(view.layer, layer);
            QCOMPARE(view.heads, heads);
            QCOMPARE(view.stride, 1);
            QCOMPARE(view.size, int(position + 1));
            QCOMPARE(view.matrices.size(), qsizetype(heads) * view.size * view.size);
            QCOMPARE(view.selectedRows.size(), qsizetype(heads) * (position + 1));
            for (int h = 0; h < heads; ++h) {
                const float* matrix = view.matrices.constData() + qsizetype(h) * view.size * view.size;
                for (int q = 0; q < view.size; ++q) {
                    double sum = 0;
                    for (int k = 0; k < view.size; ++k) {
                        const float w = matrix[q * view.size + k];
                        if (k > q) QCOMPARE(w, 0.0f);  // causal: no attention to later tokens
                        QVERIFY(w >= 0);
                        sum += w;
                    }
                    QVERIFY2(std::abs(sum - 1.0) < 2e-3,
                             qPrintable(QString("row %1 sums to %2").arg(q).arg(sum)));
                }
                // The selected rows are the last row of each head's matrix, exactly.
                for (int k = 0; k <= position; ++k)
                    QCOMPARE(view.selectedRows[h * (position + 1) + k], matrix[position * view.size + k]);
            }
        }
        // One head: the same matrix as that head of the all-heads view.
        const AttentionView all = make_attention_view(*run.recorder, 10, 3, -1);
        const AttentionView one = make_attention_view(*run.recorder, 10, 3, 5);
        QCOMPARE(one.heads, 1);
        QCOMPARE(one.head, 5);
        QCOMPARE(one.selectedRows, all.selectedRows);
        const qsizetype cells = qsizetype(one.size) * one.size;
        QCOMPARE(one.matrices, all.matrices.mid(5 * cells, cells));

        expect_error([&] { make_attention_view(*run.recorder, position + 1, 0, 0); }, "was not captured");
        expect_error([&] { make_attention_view(*run.recorder, 3, 5, 0); }, "no layer 5");
        expect_error([&] { make_attention_view(*run.recorder, 3, 0, 8); }, "no head 8");
        expect_error([&] { make_attention_view(*run.recorder, 3, 0, -2); }, "no head -2");
    }

    void longConversationsAreBlockAveraged() {
        const Run run =
            run_model(400, 1);  // 401 positions: stride 2, 201 cells, the last block one token wide
        const CaptureRecorder& recorder = *run.recorder;
        const qint64 position = 400;
        const int layer = 2, head = 6;
        const AttentionView view = make_attention_view(recorder, position, layer, head);
        QCOMPARE(view.stride, 2);
        QCOMPARE(view.size, 201);
        QCOMPARE(view.heads, 1);
        QVERIFY(view.size <= kMaxAttentionCells);

        // Every cell is the mean of its block of (query, key) pairs, zeros above the diagonal included.
        std::vector<std::vector<float>> rows;
        for (qint64 q = 0; q <= position; ++q)
            rows.push_back(recorder.attention_row(q, layer, head));
        auto weight = [&](qint64 q, qint64 k) { return k <= q ? double(rows[size_t(q)][size_t(k)]) : 0.0; };
        double worst = 0;
        for (int i = 0; i < view.size; ++i) {
            for (int j = 0; j < view.size; ++j) {
                double sum = 0;
                int pairs = 0;
                for (qint64 q = 2 * i; q < std::min<qint64>(2 * i + 2, position + 1); ++q)
                    for (qint64 k = 2 * j; k < std::min<qint64>(2 * j + 2, position + 1); ++k, ++pairs)
                        sum += weight(q, k);
                worst = std::max(worst, std::abs(view.matrices[i * view.size + j] - sum / pairs));
            }
        }
        QVERIFY2(worst < 1e-6, qPrintable(QString("largest difference from the block mean: %1").arg(worst)));
        // The one-token corner block is that token's attention to itself.
        QCOMPARE(view.matrices[200 * view.size + 200], float(weight(400, 400)));
        // Exact rows are not averaged.
        QCOMPARE(view.selectedRows.size(), qsizetype(8) * 401);
        QCOMPARE(view.selectedRows[head * 401 + 17], rows[400][17]);

        // 257 tokens need blocks too; 256 do not.
        QCOMPARE(make_attention_view(recorder, 255, 0, 0).stride, 1);
        QCOMPARE(make_attention_view(recorder, 255, 0, 0).size, 256);
        QCOMPARE(make_attention_view(recorder, 256, 0, 0).stride, 2);
        QCOMPARE(make_attention_view(recorder, 256, 0, 0).size, 129);
    }

    void attentionDroppedByTheBudgetIsMarked() {
        // A budget that keeps only the newest positions' attention, over a conversation generated token by
        // token (BOS, then 149 generated tokens).
        CaptureRecorderOptions options;
        options.memory_budget = 200 * 1024;
        const Run run = run_model(1, 149, options);
        const CaptureRecorder& recorder = *run.recorder;
        QVERIFY(!recorder.has_attention(0));
        QVERIFY(recorder.has_attention(149));
        qint64 first_kept = 0;
        while (!recorder.has_attention(first_kept))
            ++first_kept;

        const AttentionView view = make_attention_view(recorder, 149, 1, 0);
        QCOMPARE(view.heads, 1);
        for (int k = 0; k <= 149; ++k) {
            const float w = view.matrices[qsizetype(first_kept - 1) * view.size + k];
            QVERIFY(k > first_kept - 1 ? w == 0.0f : std::isnan(w));  // a dropped row: NaN up to the diagonal
        }
        QVERIFY(!std::isnan(view.matrices[qsizetype(first_kept) * view.size]));

        const AttentionView dropped = make_attention_view(recorder, 0, 1, 0);
        QCOMPARE(dropped.position, 0);
        QCOMPARE(dropped.heads, 0);
        QVERIFY(dropped.matrices.isEmpty());
        QVERIFY(dropped.selectedRows.isEmpty());
    }

    void logitLensOfTheLastLayerIsTheModelsPrediction() {
        const Run run = run_model(16, 3);
        const Tokenizer& tokenizer = run.model->tokenizer();
        const int layers = run.model->config().layers;
        for (qint64 position : {qint64(0), qint64(7), qint64(run.ids.size()) - 1}) {
            const LogitLensView view = make_logit_lens_view(*run.model, *run.recorder, tokenizer, position);
            QCOMPARE(view.position, position);
            QCOMPARE(view.layers.size(), qsizetype(layers + 1));
            for (const QVector<TokenAlternative>& row : view.layers) {
                QCOMPARE(row.size(), kLogitLensTop);
                for (qsizetype k = 1; k < row.size(); ++k)
                    QVERIFY(row[k].probability <= row[k - 1].probability);
            }
            // The last hidden state through the final norm and output matrix is the model's own next-token
            // distribution (up to the recorder's 16-bit storage of hidden states).
            const QVector<TokenAlternative>& last = view.layers.back();
            const std::vector<TokenProbability>& model_top = run.recorder->next_tokens(position);
            for (int k = 0; k < kLogitLensTop; ++k) {
                QCOMPARE(last[k].id, model_top[size_t(k)].id);
                QVERIFY(std::abs(last[k].probability - std::exp(model_top[size_t(k)].logprob)) < 5e-3);
                QCOMPARE(last[k].text, display_token_text(tokenizer, last[k].id));
            }
            // Earlier layers predict something else, at least somewhere: the lens is not one row repeated.
            bool differs = false;
            for (int l = 0; l < layers; ++l)
                differs |= view.layers[l][0].id != last[0].id;
            QVERIFY(differs);
        }
        expect_error([&] { make_logit_lens_view(*run.model, *run.recorder, tokenizer, 99); },
                     "was not captured");
    }
};

QTEST_APPLESS_MAIN(TestCaptureViews)
#include "test_capture_views.moc"
