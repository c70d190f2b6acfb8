// The CPU backend's operations against straightforward double-precision computations.
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <random>

#include "backend/cpu_backend.h"
#include "kernels/convert.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "test_support.h"
#include "util/error.h"
#include "util/prefetch.h"
#include "util/system_memory.h"

using namespace loom;

namespace {

std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 random(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v)
        x = normal(random);
    return v;
}

Tensor f32_tensor(CpuBackend& backend, int64_t rows, int64_t cols, const std::vector<float>& values) {
    Tensor t = backend.allocate(DType::F32, rows, cols);
    backend.write(t, values);
    return t;
}

std::vector<float> read_all(CpuBackend& backend, const Tensor& t) {
    std::vector<float> out(static_cast<size_t>(t.elements()));
    backend.read(t, out);
    return out;
}

// The m rows of k values in w stored as `dtype`; w is then overwritten with the stored (rounded) values,
// which the references use.
std::vector<std::byte> store_rows(DType dtype, std::vector<float>& w, int m, int k) {
    const size_t row = row_bytes(dtype, k);
    std::vector<std::byte> stored(size_t(m) * row);
    for (int r = 0; r < m; ++r) {
        row_from_float(dtype, &w[size_t(r * k)], k, stored.data() + r * row);
        row_to_float(dtype, stored.data() + r * row, k, &w[size_t(r * k)]);
    }
    return stored;
}

// y[t, r] = dot(w row r, x row t) in double: w is [m, k], x is [n, k].
std::vector<float> product(const std::vector<float>& w, const std::vector<float>& x, int m, int k, int n) {
    std::vector<float> y(size_t(n * m));
    for (int t = 0; t < n; ++t)
        for (int r = 0; r < m; ++r) {
            double sum = 0;
            for (int i = 0; i < k; ++i)
                sum += double(w[size_t(r * k + i)]) * x[size_t(t * k + i)];
            y[size_t(t * m + r)] = float(sum);
        }
    return y;
}

}  // namespace

class TestCpuBackend : public QObject {
    Q_OBJECT
  private slots:
    void matmulAllFloatTypes_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("threads");
        for (DType type : {DType::F32, DType::F16, DType::BF16})
            for (int threads : {1, 3})
                QTest::newRow((std::string(dtype_name(type)) + " x" + std::to_string(threads)).c_str())
                    << int(type) << threads;
    }
    void matmulAllFloatTypes() {
        QFETCH(int, type);
        QFETCH(int, threads);
        CpuBackend backend(threads);
        DType dtype = static_cast<DType>(type);
        for (auto [m, k, n] :
             {std::tuple{1, 1, 1}, {7, 33, 1}, {9, 300, 1}, {37, 100, 5}, {130, 67, 9}, {4, 512, 17}}) {
            std::vector<float> w = random_values(size_t(m * k), 1), x = random_values(size_t(n * k), 2);
            std::vector<std::byte> stored = store_rows(dtype, w, m, k);
            Tensor weights = backend.upload({dtype, m, k, stored});
            Tensor inputs = f32_tensor(backend, n, k, x);
            Tensor out = backend.allocate(DType::F32, n, m);
            backend.matmul(inputs, weights, out);
            std::vector<float> got = read_all(backend, out), expected = product(w, x, m, k, n);
            QVERIFY2(test::relative_error(got, expected) < 1e-5,
                     qPrintable(QString("%1x%2x%3").arg(m).arg(k).arg(n)));
        }
    }

    // Quantized weights are held as interleaved rows where their SIMD kernels want them: products,
    // embedding lookups and reads still see the stored values, for row counts that leave a partial group.
    void quantizedWeightsInTheKernelsLayout() {
        for (DType dtype : {DType::Q4_0, DType::Q8_0, DType::Q5_1, DType::Q4_K, DType::Q6_K, DType::Q3_K}) {
            for (int threads : {1, 2}) {
                CpuBackend backend(threads);
                const int m = 37, n = 3, kk = dtype_info(dtype).block_elements == 256 ? 256 : 96;
                std::vector<float> w = random_values(size_t(m * kk), 3), x = random_values(size_t(n * kk), 4);
                std::vector<std::byte> stored = store_rows(dtype, w, m, kk);
                Tensor weights = backend.upload({dtype, m, kk, stored});
                QCOMPARE(backend.interleaved(weights), matmul_kernel(dtype).interleaved_rows);
                QCOMPARE(read_all(backend, weights), w);
                Tensor looked_up = backend.allocate(DType::F32, 3, kk);
                const int32_t tokens[] = {36, 0, 9};
                backend.embed(weights, tokens, looked_up);
                std::vector<float> rows = read_all(backend, looked_up);
                for (int i = 0; i < 3; ++i)
                    QVERIFY(std::equal(rows.begin() + i * kk, rows.begin() + (i + 1) * kk,
                                       w.begin() + tokens[i] * kk));
                Tensor inputs = f32_tensor(backend, n, kk, x);
                Tensor out = backend.allocate(DType::F32, n, m);
                backend.matmul(inputs, weights, out);
                std::vector<float> got = read_all(backend, out), expected = product(w, x, m, kk, n);
                // Activations are quantized to 8 bits: about 1 % of the product.
                QVERIFY2(test::relative_error(got, expected) < 2e-2,
                         qPrintable(QString("%1 x%2").arg(dtype_name(dtype).data()).arg(threads)));
                if (backend.interleaved(weights)) QVERIFY_THROWS_EXCEPTION(Error, backend.write(weights, w));
            }
        }
    }

    void attentionMatchesNaive_data() {
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("kvHeads");
        QTest::addColumn<int>("headDim");
        QTest::addColumn<int>("pos0");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("threads");
        QTest::newRow("MHA prefill") << 4 << 4 << 8 << 0 << 6 << 2;
        QTest::newRow("GQA 2 continue") << 4 << 2 << 16 << 5 << 3 << 2;
        QTest::newRow("GQA 4 decode") << 8 << 2 << 64 << 20 << 1 << 2;
        QTest::newRow("MQA") << 3 << 1 << 8 << 2 << 4 << 2;
        // Contexts longer than the kernel's tile of 64 positions, decoding with as many key/value heads as
        // threads (Qwen2.5-0.5B: 7 query heads to each), and with fewer (a group's heads split in tasks).
        // Without probabilities asked for, one token over 128 positions or more is split by positions:
        // parts of whole tiles, the last one partial, and one part left empty when the threads outnumber
        // the tiles (130 positions are 3 tiles).
        QTest::newRow("GQA 7 long decode") << 14 << 2 << 64 << 200 << 1 << 2;
        QTest::newRow("GQA 7 longer decode") << 14 << 2 << 64 << 1000 << 1 << 3;
        QTest::newRow("MQA long decode") << 6 << 1 << 32 << 130 << 1 << 2;
        QTest::newRow("MQA decode, more threads than tiles") << 6 << 1 << 32 << 129 << 1 << 4;
        QTest::newRow("GQA long prefill") << 6 << 2 << 16 << 60 << 9 << 2;
    }
    void attentionMatchesNaive() {
        QFETCH(int, heads);
        QFETCH(int, kvHeads);
        QFETCH(int, headDim);
        QFETCH(int, pos0);
        QFETCH(int, n);
        QFETCH(int, threads);
        CpuBackend backend(threads);
        const int context = pos0 + n, capacity = context + 3;
        std::vector<float> q = random_values(size_t(n * heads * headDim), 3);
        std::vector<float> k = random_values(size_t(capacity * kvHeads * headDim), 4);
        std::vector<float> v = random_values(size_t(capacity * kvHeads * headDim), 5);
        AttentionOptions a;
        a.q = f32_tensor(backend, n, heads * headDim, q);
        a.k_cache = f32_tensor(backend, capacity, kvHeads * headDim, k);
        a.v_cache = f32_tensor(backend, capacity, kvHeads * headDim, v);
        a.out = backend.allocate(DType::F32, n, heads * headDim);
        a.heads = heads;
        a.kv_heads = kvHeads;
        a.head_dim = headDim;
        a.pos0 = pos0;
        a.scale = 1.0f / std::sqrt(float(headDim));
        backend.attention(a);  // without probabilities: long decodes are split by positions
        std::vector<float> out_alone = read_all(backend, a.out);
        a.probs = backend.allocate(DType::F32, int64_t(heads) * n, context);
        backend.attention(a);
        std::vector<float> out = read_all(backend, a.out), probs = read_all(backend, a.probs);

        std::vector<float> expected_out(out.size()), expected_probs(probs.size(), 0.0f);
        const int kv_dim = kvHeads * headDim;
        for (int h = 0; h < heads; ++h) {
            int g = h / (heads / kvHeads);
            for (int i = 0; i < n; ++i) {
                int visible = pos0 + i + 1;
                std::vector<double> p(static_cast<size_t>(visible));
                double max = -1e300, total = 0;
                for (int j = 0; j < visible; ++j) {
                    double s = 0;
                    for (int d = 0; d < headDim; ++d)
                        s += double(q[size_t((i * heads + h) * headDim + d)]) *
                             k[size_t(j * kv_dim + g * headDim + d)];
                    p[size_t(j)] = s / std::sqrt(double(headDim));
                    max = std::max(max, p[size_t(j)]);
                }
                for (double& x : p)
                    total += (x = std::exp(x - max));
                for (int j = 0; j < visible; ++j)
                    expected_probs[size_t((h * n + i) * context + j)] = float(p[size_t(j)] / total);
                for (int d = 0; d < headDim; ++d) {
                    double o = 0;
                    for (int j = 0; j < visible; ++j)
                        o += p[size_t(j)] / total * v[size_t(j * kv_dim + g * headDim + d)];
                    expected_out[size_t((i * heads + h) * headDim + d)] = float(o);
                }
            }
        }
        QVERIFY(test::relative_error(out, expected_out) < 1e-5);
        QVERIFY(test::relative_error(out_alone, expected_out) < 1e-5);
        QVERIFY(test::relative_error(probs, expected_probs) < 1e-5);
        for (size_t i = 0; i < probs.size(); ++i)
            if (expected_probs[i] == 0.0f) QCOMPARE(probs[i], 0.0f);  // masked positions are exactly zero
    }

    void ropeLayoutsAgreeUnderPermutation() {
        // Interleaved pairs (2i, 2i+1) on a vector permuted so that those pairs hold what the halves layout
        // pairs as (i, i + d/2) give the same rotation: this is why a GGUF llama and its Hugging Face
        // original compute the same thing.
        CpuBackend backend(1);
        const int heads = 2, head_dim = 8, pairs = head_dim / 2;
        std::vector<float> inv_freq = {1.0f, 0.3f, 0.05f, 0.001f};
        Tensor freq = f32_tensor(backend, 1, pairs, inv_freq);
        std::vector<float> x = random_values(heads * head_dim * 3, 7), permuted(x.size());
        for (int row = 0; row < 3 * heads; ++row)
            for (int i = 0; i < pairs; ++i) {
                permuted[size_t(row * head_dim + 2 * i)] = x[size_t(row * head_dim + i)];
                permuted[size_t(row * head_dim + 2 * i + 1)] = x[size_t(row * head_dim + i + pairs)];
            }
        Tensor halves = f32_tensor(backend, 3, heads * head_dim, x);
        Tensor interleaved = f32_tensor(backend, 3, heads * head_dim, permuted);
        RopeOptions rope{heads, head_dim, head_dim, false, freq, 11};
        backend.rope(halves, rope);
        rope.interleaved = true;
        backend.rope(interleaved, rope);
        std::vector<float> a = read_all(backend, halves), b = read_all(backend, interleaved);
        for (int row = 0; row < 3 * heads; ++row)
            for (int i = 0; i < pairs; ++i) {
                QVERIFY(std::abs(a[size_t(row * head_dim + i)] - b[size_t(row * head_dim + 2 * i)]) < 1e-6);
                QVERIFY(std::abs(a[size_t(row * head_dim + i + pairs)] -
                                 b[size_t(row * head_dim + 2 * i + 1)]) < 1e-6);
            }
        // Position 0 rotates nothing; partial rotary leaves the tail alone.
        Tensor same = f32_tensor(backend, 1, head_dim, std::vector<float>(x.begin(), x.begin() + head_dim));
        backend.rope(same, RopeOptions{1, head_dim, head_dim, false, freq, 0});
        QCOMPARE(read_all(backend, same), std::vector<float>(x.begin(), x.begin() + head_dim));
        Tensor partial_freq = f32_tensor(backend, 1, 2, {1.0f, 0.5f});
        Tensor partial =
            f32_tensor(backend, 1, head_dim, std::vector<float>(x.begin(), x.begin() + head_dim));
        backend.rope(partial, RopeOptions{1, head_dim, 4, false, partial_freq, 9});
        std::vector<float> p = read_all(backend, partial);
        for (int i = 4; i < head_dim; ++i)
            QCOMPARE(p[size_t(i)], x[size_t(i)]);
        QVERIFY(p[0] != x[0]);

        // The angles of a pass's positions are computed once and reused: new frequencies at the same place
        // (another model's), a later position and more positions are each rotated as rope_head does.
        auto rotate_as_rope_head = [&](const std::vector<float>& frequencies, int64_t pos0, int64_t rows) {
            const std::vector<float> input(x.begin(), x.begin() + rows * head_dim);
            Tensor t = f32_tensor(backend, rows, head_dim, input);
            backend.write(freq, frequencies);
            backend.rope(t, RopeOptions{1, head_dim, head_dim, false, freq, pos0});
            std::vector<float> want = input, got = read_all(backend, t);
            for (int64_t row = 0; row < rows; ++row)
                rope_head(want.data() + row * head_dim, RopeRow{frequencies.data(), head_dim, false},
                          pos0 + row);
            for (size_t i = 0; i < got.size(); ++i)
                QVERIFY(std::abs(got[i] - want[i]) < 1e-6);
        };
        rotate_as_rope_head({1.0f, 0.3f, 0.05f, 0.001f}, 5, 2);
        rotate_as_rope_head({2.0f, 0.7f, 0.1f, 0.01f}, 5, 2);
        rotate_as_rope_head({2.0f, 0.7f, 0.1f, 0.01f}, 6, 2);
        rotate_as_rope_head({2.0f, 0.7f, 0.1f, 0.01f}, 6, 3);
    }

    void normsAndActivations() {
        CpuBackend backend(2);
        const int rows = 3, cols = 37;
        std::vector<float> x = random_values(rows * cols, 8), w = random_values(cols, 9),
                           b = random_values(cols, 10);
        Tensor input = f32_tensor(backend, rows, cols, x), weight = f32_tensor(backend, 1, cols, w),
               bias = f32_tensor(backend, 1, cols, b), out = backend.allocate(DType::F32, rows, cols);
        backend.rms_norm(input, weight, 1e-5f, out);
        std::vector<float> got = read_all(backend, out), expected(x.size());
        for (int r = 0; r < rows; ++r) {
            double ms = 0;
            for (int c = 0; c < cols; ++c)
                ms += double(x[size_t(r * cols + c)]) * x[size_t(r * cols + c)];
            double scale = 1 / std::sqrt(ms / cols + 1e-5);
            for (int c = 0; c < cols; ++c)
                expected[size_t(r * cols + c)] = float(x[size_t(r * cols + c)] * scale * w[size_t(c)]);
        }
        QVERIFY(test::relative_error(got, expected) < 1e-6);

        backend.layer_norm(input, weight, bias, 1e-5f, out);
        got = read_all(backend, out);
        for (int r = 0; r < rows; ++r) {
            double mean = 0, var = 0;
            for (int c = 0; c < cols; ++c)
                mean += x[size_t(r * cols + c)];
            mean /= cols;
            for (int c = 0; c < cols; ++c)
                var += (x[size_t(r * cols + c)] - mean) * (x[size_t(r * cols + c)] - mean);
            var /= cols;
            for (int c = 0; c < cols; ++c)
                expected[size_t(r * cols + c)] = float(
                    (x[size_t(r * cols + c)] - mean) / std::sqrt(var + 1e-5) * w[size_t(c)] + b[size_t(c)]);
        }
        QVERIFY(test::relative_error(got, expected) < 1e-6);

        Tensor up =
            f32_tensor(backend, rows, cols, w.size() == size_t(cols) ? random_values(rows * cols, 11) : x);
        std::vector<float> u = read_all(backend, up);
        backend.swiglu(input, up, out);
        got = read_all(backend, out);
        for (size_t i = 0; i < x.size(); ++i)
            expected[i] = float(x[i] / (1 + std::exp(-double(x[i]))) * u[i]);
        QVERIFY(test::relative_error(got, expected) < 1e-6);
    }

    // The decode kernels prefetch as LOOM_PREFETCH says (ctest runs these tests again with 0: off).
    void prefetchesAsTheEnvironmentSays() {
        CpuBackend backend(1);
        QCOMPARE(prefetch_ahead_bytes(), prefetch_distance(std::getenv("LOOM_PREFETCH")));
    }

    void refusesBadUse() {
        CpuBackend backend(1), other(1);
        Tensor table = backend.allocate(DType::F32, 4, 8), out = backend.allocate(DType::F32, 1, 8);
        std::vector<int32_t> bad = {4};
        test::expect_error([&] { backend.embed(table, bad, out); }, "outside the vocabulary");
        Tensor foreign = other.allocate(DType::F32, 1, 8);
        test::expect_error([&] { backend.add(out, foreign); }, "another backend");
        Tensor wrong = backend.allocate(DType::F32, 2, 8);
        test::expect_error([&] { backend.matmul(out, wrong, wrong); }, "shapes differ");
        // Weights beyond the memory the system has are refused before anything is copied.
        if (available_memory_bytes() > 0) {
            backend.check_model_fits({1 << 20});
            test::expect_error(
                [&] { backend.check_model_fits({available_memory_bytes() * 2 + (uint64_t{1} << 40)}); },
                "of memory is available");
        }
    }
};

QTEST_APPLESS_MAIN(TestCpuBackend)
#include "test_cpu_backend.moc"
