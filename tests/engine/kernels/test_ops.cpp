#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernel_test_support.h"
#include "kernels/ops.h"
#include "kernels/vector.h"

using namespace loom;

// The row operations of kernels/ops.h against their formulas evaluated in double, and the vector kernels of
// kernels/vector.h at every level this CPU supports.
namespace {

void compare(const std::vector<float>& got, const std::vector<double>& want, double relative,
             const char* what) {
    QCOMPARE(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
        if (!(std::fabs(got[i] - want[i]) <= relative * (std::fabs(want[i]) + 1e-6)))
            QFAIL(qPrintable(QString("%1[%2] = %3, expected %4").arg(what).arg(i).arg(got[i]).arg(want[i])));
}

// What a vector kernel got against its scalar definition, for a failure message.
QString mismatch(const char* kernel, KernelLevel level, int64_t n, size_t i, float got, float want) {
    return QString("%1 level %2, n %3, [%4]: %5 vs %6")
        .arg(kernel)
        .arg(int(level))
        .arg(n)
        .arg(i)
        .arg(got)
        .arg(want);
}

}  // namespace

class TestOps : public QObject {
    Q_OBJECT
  private slots:
    void rmsNorm() {
        std::mt19937 rng(31);
        for (int64_t n : {1, 7, 896}) {
            std::vector<float> x = test::random_values(size_t(n), rng),
                               w = test::random_values(size_t(n), rng);
            std::vector<float> out(static_cast<size_t>(n));
            rms_norm_row(x.data(), w.data(), n, 1e-6f, out.data());
            double mean_square = 0.0;
            for (float v : x)
                mean_square += double{v} * v / double(n);
            std::vector<double> want(static_cast<size_t>(n));
            for (size_t i = 0; i < size_t(n); ++i)
                want[i] = x[i] / std::sqrt(mean_square + 1e-6) * w[i];
            compare(out, want, 1e-5, "rms_norm");
        }
    }

    void layerNorm() {
        std::mt19937 rng(32);
        for (bool with_bias : {false, true}) {
            const int64_t n = 33;
            std::vector<float> x = test::random_values(size_t(n), rng, 3.0f);
            for (auto& v : x)
                v += 5.0f;  // a large mean, which the normalization must remove
            std::vector<float> w = test::random_values(size_t(n), rng),
                               b = test::random_values(size_t(n), rng);
            std::vector<float> out(static_cast<size_t>(n));
            layer_norm_row(x.data(), w.data(), with_bias ? b.data() : nullptr, n, 1e-5f, out.data());
            double mean = 0.0, variance = 0.0;
            for (float v : x)
                mean += v / double(n);
            for (float v : x)
                variance += (v - mean) * (v - mean) / double(n);
            std::vector<double> want(static_cast<size_t>(n));
            for (size_t i = 0; i < size_t(n); ++i)
                want[i] = (x[i] - mean) / std::sqrt(variance + 1e-5) * w[i] + (with_bias ? b[i] : 0.0);
            compare(out, want, 1e-5, "layer_norm");
        }
    }

    void softmax() {
        std::vector<float> x{1000.0f, 999.0f, -5.0f, 1000.0f,
                             0.0f};  // would overflow exp() without the max shift
        std::vector<double> want(x.size());
        double sum = 0.0;
        for (size_t i = 0; i < x.size(); ++i)
            sum += want[i] = std::exp(double{x[i]} - 1000.0);
        for (auto& v : want)
            v /= sum;
        const float log_sum = softmax_row(x.data(), static_cast<int64_t>(x.size()));
        compare(x, want, 1e-6, "softmax");
        QVERIFY(std::fabs(log_sum - (1000.0 + std::log(sum))) < 1e-4);
        QCOMPARE(softmax_row(nullptr, 0), -INFINITY);  // nothing to add up
        float one = 3.0f;
        softmax_row(&one, 1);
        QCOMPARE(one, 1.0f);
    }

    void swiglu() {
        std::vector<float> gate{-20.0f, -1.0f, 0.0f, 0.5f, 3.0f, 30.0f},
            up{1.0f, 2.0f, 3.0f, -4.0f, 5.0f, 0.5f};
        std::vector<float> out(gate.size());
        swiglu_row(gate.data(), up.data(), static_cast<int64_t>(gate.size()), out.data());
        std::vector<double> want(gate.size());
        for (size_t i = 0; i < gate.size(); ++i)
            want[i] = gate[i] / (1.0 + std::exp(-double{gate[i]})) * up[i];
        compare(out, want, 1e-6, "swiglu");
    }

    // Rotates pairs (i, i + half) or (2i, 2i + 1) by position * inv_freq[i]; dimensions past rotary_dims
    // stay.
    void rope() {
        std::mt19937 rng(33);
        const int head_dim = 10, rotary = 8, pairs = rotary / 2;
        std::vector<float> inv_freq{1.0f, 0.1f, 0.01f, 0.001f};
        for (bool interleaved : {false, true}) {
            std::vector<float> head = test::random_values(head_dim, rng);
            std::vector<double> want(head.begin(), head.end());
            const int64_t position = 37;
            for (int i = 0; i < pairs; ++i) {
                int a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + pairs;
                double angle = double(position) * inv_freq[size_t(i)];
                want[size_t(a)] = head[size_t(a)] * std::cos(angle) - head[size_t(b)] * std::sin(angle);
                want[size_t(b)] = head[size_t(b)] * std::cos(angle) + head[size_t(a)] * std::sin(angle);
            }
            rope_head(head.data(), RopeRow{inv_freq.data(), rotary, interleaved}, position);
            compare(head, want, 1e-5, interleaved ? "rope (interleaved)" : "rope (halves)");
        }
    }

    void vectorSiluAndSoftmax() {
        // The SIMD versions against the scalar definitions (swiglu_row, softmax_row), at sizes around the
        // vector widths and with values that saturate the exponential.
        std::mt19937 rng(35);
        for (KernelLevel level : test::supported_levels()) {
            const VectorKernels& vec = vector_kernels(level);
            for (int64_t n : {1, 7, 8, 15, 16, 17, 33, 100, 4864}) {
                std::vector<float> gate = test::random_values(size_t(n), rng, 4.0f),
                                   up = test::random_values(size_t(n), rng);
                gate[0] = -120.0f;  // e^120 would overflow
                if (n > 2) gate[2] = 95.0f;
                std::vector<float> got(static_cast<size_t>(n)), want(static_cast<size_t>(n));
                vec.silu_mul(gate.data(), up.data(), n, got.data());
                swiglu_row(gate.data(), up.data(), n, want.data());
                for (size_t i = 0; i < size_t(n); ++i)
                    QVERIFY2(std::fabs(got[i] - want[i]) <= 2e-6f * (std::fabs(want[i]) + 1e-30f),
                             qPrintable(mismatch("silu_mul", level, n, i, got[i], want[i])));

                std::vector<float> scores = test::random_values(size_t(n), rng, 10.0f), reference = scores;
                if (n > 3) scores[3] = reference[3] = -1e30f;  // a masked score
                double largest = -1e300, exp_sum = 0.0;        // log(sum(exp(x))), which both return
                for (float s : scores)
                    largest = std::max(largest, double{s});
                for (float s : scores)
                    exp_sum += std::exp(double{s} - largest);
                const double log_sum = largest + std::log(exp_sum);
                const float got_log_sum = vec.softmax(scores.data(), n);
                const float want_log_sum = softmax_row(reference.data(), n);
                QVERIFY(std::fabs(got_log_sum - log_sum) <= 1e-5 * (std::fabs(log_sum) + 1.0));
                QVERIFY(std::fabs(want_log_sum - log_sum) <= 1e-5 * (std::fabs(log_sum) + 1.0));
                double total = 0.0;
                for (size_t i = 0; i < size_t(n); ++i) {
                    QVERIFY(std::fabs(scores[i] - reference[i]) <= 2e-6f * reference[i] + 1e-12f);
                    total += scores[i];
                }
                QVERIFY(std::fabs(total - 1.0) < 1e-5);
            }
        }
    }

    void vectorRmsNorm() {
        // The SIMD versions against the scalar definition, at sizes around the vector widths (and a
        // model's width), with outliers.
        std::mt19937 rng(37);
        for (KernelLevel level : test::supported_levels()) {
            const VectorKernels& vec = vector_kernels(level);
            for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 896, 4099}) {
                std::vector<float> x = test::random_values(size_t(n), rng, 3.0f),
                                   weight = test::random_values(size_t(n), rng);
                std::vector<float> got(size_t(n) + 1, -1.0f), want(static_cast<size_t>(n));
                vec.rms_norm(x.data(), weight.data(), n, 1e-5f, got.data());
                rms_norm_row(x.data(), weight.data(), n, 1e-5f, want.data());
                for (size_t i = 0; i < size_t(n); ++i)
                    QVERIFY2(std::fabs(got[i] - want[i]) <= 1e-6f * std::fabs(want[i]),
                             qPrintable(mismatch("rms_norm", level, n, i, got[i], want[i])));
                QCOMPARE(got[size_t(n)], -1.0f);  // nothing written past n
            }
        }
    }

    void argmax() {
        // The scalar definition: the first of equal largest values, NaNs skipped, 0 without any number.
        const float nan = std::numeric_limits<float>::quiet_NaN(),
                    inf = std::numeric_limits<float>::infinity();
        auto index_of = [](std::vector<float> x) { return argmax_row(x.data(), int64_t(x.size())); };
        QCOMPARE(index_of({0.1f, 2.5f, -1.0f, 2.4f}), int64_t{1});
        QCOMPARE(index_of({1.0f, 3.0f, 3.0f}), int64_t{1});
        QCOMPARE(index_of({nan, 1.0f, 2.0f, nan}), int64_t{2});
        QCOMPARE(index_of({nan, nan}), int64_t{0});
        QCOMPARE(index_of({}), int64_t{0});
        QCOMPARE(index_of({-inf, nan, -inf}), int64_t{0});
        QCOMPARE(index_of({-0.0f, 0.0f}), int64_t{0});

        // The SIMD versions against it: sizes around the vector widths, the largest value at every place
        // (in the whole vectors and in the tail), repeated later, and NaNs before it.
        std::mt19937 rng(36);
        for (KernelLevel level : test::supported_levels()) {
            const VectorKernels& vec = vector_kernels(level);
            for (int64_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 151936}) {
                std::vector<float> x = test::random_values(size_t(n), rng);
                const int64_t step = std::max<int64_t>(1, n / 40);
                for (int64_t top = 0; top < n; top += step) {
                    std::vector<float> y = x;
                    y[size_t(top)] = 1000.0f;                       // above every outlier
                    if (top + 3 < n) y[size_t(top + 3)] = 1000.0f;  // a later tie
                    if (top > 0) y[size_t(top - 1)] = nan;
                    y[0] = top > 0 ? nan : y[0];
                    const int64_t want = argmax_row(y.data(), n);
                    QCOMPARE(want, top);
                    QVERIFY2(
                        vec.argmax(y.data(), n) == want,
                        qPrintable(QString("argmax level %1, n %2, top %3").arg(int(level)).arg(n).arg(top)));
                }
                std::vector<float> none(size_t(n), nan);
                QCOMPARE(vec.argmax(none.data(), n), int64_t{0});
                none[size_t(n - 1)] = -inf;
                QCOMPARE(vec.argmax(none.data(), n), n - 1);
            }
        }
    }

    // The attention loops over cache rows: every row count (whole groups of 16 and of 4, and the rest) and
    // widths that are and are not multiples of the vector width, rows `stride` apart.
    void vectorKernels() {
        std::mt19937 rng(34);
        for (KernelLevel level : test::supported_levels()) {
            const VectorKernels& vec = vector_kernels(level);
            for (int64_t n : {1, 7, 8, 15, 16, 17, 33, 64, 100})
                for (int64_t count : {1, 3, 4, 9, 16, 21, 37}) {
                    const int64_t stride = n + 5;
                    std::vector<float> q = test::random_values(size_t(n), rng),
                                       rows = test::random_values(size_t(count * stride), rng),
                                       weights = test::random_values(size_t(count), rng);
                    std::vector<float> dots(size_t(count), -1.0f), sums(size_t(n) + 1, -1.0f);
                    vec.dot_rows(q.data(), rows.data(), stride, count, n, dots.data());
                    vec.sum_rows(weights.data(), rows.data(), stride, count, n, sums.data());
                    for (int64_t j = 0; j < count; ++j) {
                        double want = 0.0, magnitude = 0.0;
                        for (int64_t i = 0; i < n; ++i) {
                            want += double{q[size_t(i)]} * rows[size_t(j * stride + i)];
                            magnitude += std::fabs(double{q[size_t(i)]} * rows[size_t(j * stride + i)]);
                        }
                        QVERIFY(std::fabs(dots[size_t(j)] - want) <= 1e-6 * magnitude * std::sqrt(double(n)));
                    }
                    for (int64_t i = 0; i < n; ++i) {
                        double want = 0.0, magnitude = 0.0;
                        for (int64_t j = 0; j < count; ++j) {
                            want += double{weights[size_t(j)]} * rows[size_t(j * stride + i)];
                            magnitude += std::fabs(double{weights[size_t(j)]} * rows[size_t(j * stride + i)]);
                        }
                        QVERIFY(std::fabs(sums[size_t(i)] - want) <=
                                1e-6 * magnitude * std::sqrt(double(count)));
                    }
                    QCOMPARE(sums[size_t(n)], -1.0f);  // nothing written past n
                }
        }
    }
};

QTEST_APPLESS_MAIN(TestOps)
#include "test_ops.moc"
