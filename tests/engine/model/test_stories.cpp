// The built-in model, stories260K, as a user gets it: greedy text from BOS is Karpathy's published sample.
#include <QtTest>

#include "api/builtin_model.h"
#include "api/generate.h"
#include "model/session.h"
#include "test_support.h"

using namespace loom;

class TestStories : public QObject {
    Q_OBJECT
  private slots:
    void greedyStoryFromBos() {
        LoadOptions load;
        load.model = builtin_model_path().string();
        std::shared_ptr<Model> model = Model::load(load);
        QCOMPARE(model->config().architecture, std::string("llama"));
        QCOMPARE(model->parameter_count(),
                 int64_t(260032));  // the 260K of its name (embedding shared with output)

        Session session(model);
        GenerateOptions options;
        options.sampling = SamplingOptions::greedy();
        options.max_tokens = 60;
        std::string text;
        std::vector<int32_t> bos = {*model->tokenizer().special().bos};
        generate(session, bos, options, [&](const GeneratedToken& t) {
            text += t.text;
            return true;
        });
        const std::string sample =
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
            "One day, "
            "she saw a big, red ball. She wanted to play with it, but it was too high";
        QVERIFY2(text.rfind(sample, 0) == 0, text.c_str());
    }
};

QTEST_APPLESS_MAIN(TestStories)
#include "test_stories.moc"
