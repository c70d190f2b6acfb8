// The engine's public helpers: the capture recorder, the logit lens and chat prompts.
#include <QtTest>

#include <numeric>

#include "api/builtin_model.h"
#include "api/capture_recorder.h"
#include "api/chat_prompt.h"
#include "api/logit_lens.h"
#include "model/session.h"
#include "test_support.h"

using namespace loom;

namespace {

std::shared_ptr<Model> load(const std::filesystem::path& path) {
    LoadOptions options;
    options.model = path.string();
    options.threads = 2;
    return Model::load(options);
}

std::vector<int32_t> story_prompt(const Model& model, int words) {
    std::string text;
    for (int i = 0; i < words; ++i)
        text += i % 2 ? " and the dog ran" : " Lily saw a cat";
    return model.tokenizer().encode(text);
}

}  // namespace

class TestApi : public QObject {
    Q_OBJECT
  private slots:
    void recorderKeepsEveryPosition() {
        std::shared_ptr<Model> model = load(builtin_model_path());
        CaptureRecorder recorder(model->config());
        Session session(model);
        std::vector<int32_t> prompt = story_prompt(*model, 3);
        CapturePlan plan = recorder.plan();
        session.evaluate(prompt, &plan, recorder.sink());
        std::vector<int32_t> next = {261};
        session.evaluate(next, &plan, recorder.sink());
        const int64_t n = static_cast<int64_t>(prompt.size()) + 1;
        QCOMPARE(recorder.positions(), n);
        for (int64_t p = 0; p < n; ++p) {
            QCOMPARE(recorder.hidden_norms(p).size(), size_t(model->config().layers + 1));
            QVERIFY(recorder.has_attention(p));
            for (int layer = 0; layer < model->config().layers; ++layer)
                for (int head = 0; head < model->config().heads; ++head) {
                    std::vector<float> row = recorder.attention_row(p, layer, head);
                    QCOMPARE(row.size(), size_t(p + 1));
                    QVERIFY(std::abs(std::accumulate(row.begin(), row.end(), 0.0f) - 1.0f) < 2e-3);
                }
            QCOMPARE(recorder.next_tokens(p).size(), size_t(10));
        }
        // The last position's next tokens are the session's own prediction.
        std::span<const float> logits = session.last_logits();
        int32_t best = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
        QCOMPARE(recorder.next_tokens(n - 1).front().id, best);

        recorder.truncate(2);
        QCOMPARE(recorder.positions(), int64_t(2));
        test::expect_error([&] { recorder.hidden_norms(2); }, "nothing was captured");
    }

    void budgetDropsOldestAttentionEvenWithinABatch() {
        std::shared_ptr<Model> model = load(builtin_model_path());
        CaptureRecorderOptions options;
        options.memory_budget = 200 << 10;
        CaptureRecorder recorder(model->config(), options);
        SessionOptions session_options;
        session_options.batch_size = 64;
        Session session(model, session_options);
        std::vector<int32_t> prompt = story_prompt(*model, 40);
        QVERIFY(prompt.size() > 100);
        CapturePlan plan = recorder.plan();
        session.evaluate(prompt, &plan, recorder.sink());
        QVERIFY(recorder.memory_used() <= options.memory_budget + (64 << 10));
        QVERIFY(!recorder.has_attention(0));
        QVERIFY(recorder.has_attention(int64_t(prompt.size()) - 1));
        test::expect_error([&] { recorder.attention_row(0, 0, 0); }, "was not kept");
        QCOMPARE(recorder.hidden_norms(0).size(), size_t(model->config().layers + 1));  // hidden states stay
    }

    void logitLensOfTheLastLayerIsTheModelsPrediction() {
        std::shared_ptr<Model> model = load(builtin_model_path());
        CaptureRecorder recorder(model->config());
        Session session(model);
        std::vector<int32_t> prompt = story_prompt(*model, 2);
        CapturePlan plan = recorder.plan();
        session.evaluate(prompt, &plan, recorder.sink());
        int64_t last = static_cast<int64_t>(prompt.size()) - 1;
        auto lens = logit_lens(*model, recorder.hidden_states(last), 5);
        QCOMPARE(lens.size(), size_t(model->config().layers + 1));
        // Hidden states are kept as 16-bit floats: the top token survives that rounding.
        QCOMPARE(lens.back().front().id, recorder.next_tokens(last).front().id);
        test::expect_error([&] { logit_lens(*model, std::vector<float>(5), 3); }, "rows of 64");
    }

    void chatPrompts() {
        // A model with ChatML: rendered by its template, special tokens as single ids, no BOS added.
        std::shared_ptr<Model> qwen = load(test::data_dir() / "reference" / "qwen2-bias-f32");
        std::vector<ChatMessage> messages = {{"system", "Be brief."}, {"user", "Hi"}};
        ChatPrompt prompt = build_chat_prompt(*qwen, messages);
        QVERIFY(prompt.used_template);
        QCOMPARE(prompt.text,
                 std::string("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                             "<|im_start|>assistant\n"));
        QCOMPARE(prompt.tokens.front(), *qwen->tokenizer().find_token("<|im_start|>"));

        // A completion model: the text as it is, after BOS.
        std::shared_ptr<Model> stories = load(builtin_model_path());
        std::vector<ChatMessage> story = {{"user", "Once upon"}, {"assistant", " a time"}};
        ChatPrompt plain = build_chat_prompt(*stories, story);
        QVERIFY(!plain.used_template);
        QCOMPARE(plain.text, std::string("Once upon a time"));
        QCOMPARE(plain.tokens.front(), 1);
        std::vector<ChatMessage> empty;
        QCOMPARE(build_chat_prompt(*stories, empty).tokens, std::vector<int32_t>{1});
    }
};

QTEST_APPLESS_MAIN(TestApi)
#include "test_api.moc"
