#include <QtTest>

#include <cmath>
#include <map>

#include "sampling/sampler.h"
#include "test_support.h"

using namespace loom;
using loom::test::expect_error;

class TestSampler : public QObject {
    Q_OBJECT

    static SamplingOptions plain(float temperature) {
        SamplingOptions o;
        o.temperature = temperature;
        o.top_k = 0;
        o.top_p = 1.0f;
        o.min_p = 0.0f;
        o.repeat_penalty = 1.0f;
        return o;
    }

  private slots:
    void greedyTakesTheLargestLogit() {
        Sampler sampler(SamplingOptions::greedy());
        std::vector<float> logits = {0.1f, 2.5f, -1.0f, 2.4f};
        QCOMPARE(sampler.sample(logits, {}), 1);
        std::vector<float> tie = {1.0f, 3.0f, 3.0f};
        QCOMPARE(sampler.sample(tie, {}), 1);  // ties go to the lower id
    }

    void sameSeedSameChoices() {
        std::vector<float> logits(50);
        for (size_t i = 0; i < logits.size(); ++i)
            logits[i] = std::sin(float(i));
        SamplingOptions o = plain(1.0f);
        o.seed = 1234;
        Sampler a(o), b(o);
        o.seed = 1235;
        Sampler c(o);
        int differences = 0;
        for (int i = 0; i < 200; ++i) {
            int32_t x = a.sample(logits, {}), y = b.sample(logits, {}), z = c.sample(logits, {});
            QCOMPARE(x, y);
            differences += x != z;
        }
        QVERIFY(differences > 50);
    }

    void drawsFollowTheDistribution() {
        // Probabilities 0.5, 0.25, 0.125, 0.125: counts over 20000 draws within a few standard deviations.
        std::vector<float> logits = {std::log(4.0f), std::log(2.0f), 0.0f, 0.0f};
        Sampler sampler(plain(1.0f));
        std::map<int32_t, int> counts;
        const int draws = 20000;
        for (int i = 0; i < draws; ++i)
            counts[sampler.sample(logits, {})]++;
        const double expected[] = {0.5, 0.25, 0.125, 0.125};
        for (int id = 0; id < 4; ++id) {
            double p = expected[id], sd = std::sqrt(p * (1 - p) / draws);
            QVERIFY2(std::abs(counts[id] / double(draws) - p) < 5 * sd, qPrintable(QString::number(id)));
        }
    }

    void filtersLimitTheChoices() {
        std::vector<float> logits = {std::log(0.4f), std::log(0.3f), std::log(0.2f), std::log(0.1f)};
        SamplingOptions k = plain(1.0f);
        k.top_k = 2;
        Sampler top_k(k);
        SamplingOptions p = plain(1.0f);
        p.top_p = 0.65f;  // 0.4 + 0.3 reaches it: the last two are cut
        Sampler top_p(p);
        SamplingOptions m = plain(1.0f);
        m.min_p = 0.6f;  // keeps tokens with p >= 0.24
        Sampler min_p(m);
        for (int i = 0; i < 500; ++i) {
            QVERIFY(top_k.sample(logits, {}) < 2);
            QVERIFY(top_p.sample(logits, {}) < 2);
            QVERIFY(min_p.sample(logits, {}) < 2);
        }
        SamplingOptions one = plain(1.0f);
        one.top_k = 1;
        Sampler only(one);
        for (int i = 0; i < 50; ++i)
            QCOMPARE(only.sample(logits, {}), 0);
    }

    void lowTemperatureSharpens() {
        std::vector<float> logits = {1.0f, 0.9f};
        Sampler cold(plain(0.01f));
        for (int i = 0; i < 100; ++i)
            QCOMPARE(cold.sample(logits, {}), 0);
    }

    void repetitionPenaltyDiscouragesRecentTokens() {
        std::vector<float> logits = {2.0f, 1.9f, -1.0f};
        SamplingOptions o = SamplingOptions::greedy();
        o.repeat_penalty = 1.5f;
        Sampler sampler(o);
        std::vector<int32_t> recent = {0};
        QCOMPARE(sampler.sample(logits, recent), 1);  // 2.0 / 1.5 < 1.9
        o.repeat_last_n = 1;
        Sampler short_memory(o);
        std::vector<int32_t> older = {0, 2};  // only the last token (2) is penalised
        QCOMPARE(short_memory.sample(logits, older), 0);
    }

    void logprobs() {
        std::vector<float> logits = {0.0f, std::log(3.0f)};
        auto top = top_logprobs(logits, 5);
        QCOMPARE(top.size(), size_t(2));
        QCOMPARE(top[0].id, 1);
        QVERIFY(std::abs(top[0].logprob - std::log(0.75f)) < 1e-6);
        QVERIFY(std::abs(token_logprob(logits, 0) - std::log(0.25f)) < 1e-6);
    }

    void refusesAbsurdOptions() {
        SamplingOptions o;
        o.temperature = -1;
        expect_error([&] { Sampler s(o); }, "temperature");
        o = {};
        o.top_p = 1.5f;
        expect_error([&] { Sampler s(o); }, "top-p");
        o = {};
        o.min_p = -0.1f;
        expect_error([&] { Sampler s(o); }, "min-p");
        o = {};
        o.repeat_penalty = 0;
        expect_error([&] { Sampler s(o); }, "repetition penalty");
        o = {};
        o.top_k = -3;
        expect_error([&] { Sampler s(o); }, "top-k");
        o = {};
        o.temperature = std::nanf("");
        expect_error([&] { Sampler s(o); }, "temperature");
    }
};

QTEST_APPLESS_MAIN(TestSampler)
#include "test_sampler.moc"
