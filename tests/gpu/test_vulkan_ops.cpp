// Parity of every Backend operation between the Vulkan backend and the CPU backend (the reference), on
// random inputs with sizes that are not multiples of any work-group size, in every weight type, on each
// GPU configuration (gpu_test_support.h). Errors are normalised over the whole tensor:
// |gpu - cpu| / |cpu| < 1e-5 for F32 arithmetic.
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "backend/cpu_backend.h"
#include "gpu_test_support.h"
#include "util/error.h"

using namespace loom;
using namespace loom::test;

namespace {

constexpr double kTolerance = 1e-5;

// Every quantized type a GGUF file may store weights in (the CPU backend computes with all of them).
constexpr DType kQuantizedTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                                     DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};

// Fails the test with the configuration's name when `got` is not within `tolerance` of `want`.
#define EXPECT_CLOSE(got, want, tolerance, label)                                \
    do {                                                                         \
        double error_ = relative_error(got, want);                               \
        if (!(error_ < (tolerance)))                                             \
            QFAIL(qPrintable(QStringLiteral("%1: relative error %2, allowed %3") \
                                 .arg(QString::fromStdString(label))             \
                                 .arg(error_)                                    \
                                 .arg(tolerance)));                              \
    } while (false)

// y[t, r] = dot(x[t], w[r]) in double precision.
std::vector<float> reference_matmul(const std::vector<float>& x, const std::vector<float>& w, int64_t n,
                                    int64_t m, int64_t k) {
    std::vector<float> y(static_cast<size_t>(n * m));
    for (int64_t t = 0; t < n; ++t)
        for (int64_t r = 0; r < m; ++r) {
            double sum = 0;
            for (int64_t c = 0; c < k; ++c)
                sum += double(x[size_t(t * k + c)]) * w[size_t(r * k + c)];
            y[size_t(t * m + r)] = static_cast<float>(sum);
        }
    return y;
}

// |got - want| / |terms| (Euclidean norms), where terms[t, r] = sum_c |x[t, c] * w[r, c]|: the error of
// float dot products relative to the size of what they add up, which, unlike relative_error(), a result
// with much cancellation (a single product of random values, say) does not inflate.
double dot_product_error(std::span<const float> got, const std::vector<float>& want, std::vector<float> x,
                         std::vector<float> w, int64_t n, int64_t m, int64_t k) {
    for (float& v : x)
        v = std::fabs(v);
    for (float& v : w)
        v = std::fabs(v);
    std::vector<float> terms = reference_matmul(x, w, n, m, k), zero(terms.size(), 0.0f);
    return relative_error(got, want) * relative_error(want, zero) / relative_error(terms, zero);
}

std::vector<float> rope_frequencies(int rotary_dims, double theta = 10000.0) {
    std::vector<float> f(static_cast<size_t>(rotary_dims / 2));
    for (int i = 0; i < rotary_dims / 2; ++i)
        f[size_t(i)] = static_cast<float>(1.0 / std::pow(theta, 2.0 * i / rotary_dims));
    return f;
}

}  // namespace

class TestVulkanOps : public QObject {
    Q_OBJECT

    CpuBackend cpu_{2};
    std::vector<GpuUnderTest> gpus_;

  private slots:
    void initTestCase() { gpus_ = gpu_configurations(); }

    void matmul_data() {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("k");
        // 4099 rows: a tall matrix, whose decode kernel gives each subgroup whole rows (kMatvecTallRows).
        const int shapes[][3] = {{1, 1, 1},     {1, 33, 17},    {3, 257, 100}, {8, 17, 33},  {9, 17, 33},
                                 {17, 100, 64}, {100, 33, 257}, {65, 129, 48}, {3, 4099, 20}};
        for (DType type : {DType::F32, DType::F16, DType::BF16})
            for (const auto& s : shapes)
                QTest::addRow("%s n=%d m=%d k=%d", dtype_name(type).data(), s[0], s[1], s[2])
                    << int(type) << s[0] << s[1] << s[2];
    }

    void matmul() {
        QFETCH(int, dtype);
        QFETCH(int, n);
        QFETCH(int, m);
        QFETCH(int, k);
        DType type = static_cast<DType>(dtype);
        std::vector<float> x = random_values(size_t(n * k), 1), w = random_values(size_t(m * k), 2);
        std::vector<std::byte> w_bytes = encode(type, w, m, k);

        std::vector<float> bias = random_values(size_t(m), 5);
        Tensor y_cpu = cpu_.allocate(DType::F32, n, m), yb_cpu = cpu_.allocate(DType::F32, n, m);
        Tensor x_cpu = upload_f32(cpu_, n, k, x), w_cpu = upload_bytes(cpu_, type, m, k, w_bytes);
        cpu_.matmul(x_cpu, w_cpu, y_cpu);
        cpu_.matmul_bias(x_cpu, w_cpu, upload_f32(cpu_, 1, m, bias), yb_cpu);
        std::vector<float> want = read_all(cpu_, y_cpu), want_biased = read_all(cpu_, yb_cpu);

        for (GpuUnderTest& gpu : gpus_) {
            Backend& b = *gpu.backend;
            Tensor y = b.allocate(DType::F32, n, m), yb = b.allocate(DType::F32, n, m);
            Tensor xt = upload_f32(b, n, k, x), wt = upload_bytes(b, type, m, k, w_bytes);
            b.matmul(xt, wt, y);
            b.matmul_bias(xt, wt, upload_f32(b, 1, m, bias), yb);  // the bias added as outputs are written
            EXPECT_CLOSE(read_all(b, y), want, kTolerance, gpu.label);
            EXPECT_CLOSE(read_all(b, yb), want_biased, kTolerance, gpu.label + " with bias");
        }
    }

    // Quantized weights against the format's definition (the CPU backend quantizes activations for these
    // types, so it is not the reference here).
    void matmulQuantized_data() {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("k");
        // k in blocks of the type: 32 values for the legacy types, 256 for K-quants. Odd row counts put
        // rows of 22-, 110- and 210-byte blocks half-way into a word.
        const int shapes[][3] = {{1, 1, 1}, {1, 33, 2}, {5, 17, 3}, {17, 100, 8}, {70, 65, 5}, {2, 4099, 1}};
        for (DType type : kQuantizedTypes)
            for (const auto& s : shapes) {
                const int k = s[2] * int(dtype_info(type).block_elements);
                QTest::addRow("%s n=%d m=%d k=%d", dtype_name(type).data(), s[0], s[1], k)
                    << int(type) << s[0] << s[1] << k;
            }
    }

    void matmulQuantized() {
        QFETCH(int, dtype);
        QFETCH(int, n);
        QFETCH(int, m);
        QFETCH(int, k);
        DType type = static_cast<DType>(dtype);
        std::vector<float> x = random_values(size_t(n * k), 3), w = random_values(size_t(m * k), 4);
        std::vector<std::byte> w_bytes = encode(type, w, m, k);
        std::vector<float> w_stored = decode(type, w_bytes, m, k);
        std::vector<float> want = reference_matmul(x, w_stored, n, m, k);
        for (GpuUnderTest& gpu : gpus_) {
            Backend& b = *gpu.backend;
            Tensor y = b.allocate(DType::F32, n, m);
            b.matmul(upload_f32(b, n, k, x), upload_bytes(b, type, m, k, w_bytes), y);
            // The kernels read exactly the reference's weights (embed checks that to the bit); what is
            // left is float summation, measured against the size of the terms.
            double error = dot_product_error(read_all(b, y), want, x, w_stored, n, m, k);
            QVERIFY2(error < kTolerance, qPrintable(QStringLiteral("%1: error %2 against the terms' size")
                                                        .arg(QString::fromStdString(gpu.label))
                                                        .arg(error)));
        }
    }

    void embed_data() {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<int>("vocab");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("tokens");
        std::vector<DType> types = {DType::F32, DType::F16, DType::BF16};
        types.insert(types.end(), std::begin(kQuantizedTypes), std::end(kQuantizedTypes));
        for (DType type : types) {
            // Rows of 1, 3 and 5 blocks (32 values for the float types, whose last table is 33 wide).
            const int block = std::max(32, int(dtype_info(type).block_elements));
            const int last = dtype_info(type).quantized ? 5 * block : 33;
            QTest::addRow("%s 1x%d", dtype_name(type).data(), block) << int(type) << 1 << block << 1;
            QTest::addRow("%s 300x%d", dtype_name(type).data(), 3 * block)
                << int(type) << 300 << 3 * block << 17;
            QTest::addRow("%s 257x%d", dtype_name(type).data(), last) << int(type) << 257 << last << 3;
        }
    }

    void embed() {
        QFETCH(int, dtype);
        QFETCH(int, vocab);
        QFETCH(int, cols);
        QFETCH(int, tokens);
        DType type = static_cast<DType>(dtype);
        std::vector<std::byte> table = encode(type, random_values(size_t(vocab * cols), 5), vocab, cols);
        std::vector<float> rows = decode(type, table, vocab, cols);
        std::vector<int32_t> ids(static_cast<size_t>(tokens));  // the last row, the first, then scattered
        for (int i = 0; i < tokens; ++i)
            ids[size_t(i)] = i == 0 ? vocab - 1 : (i - 1) * 7919 % vocab;
        std::vector<float> want;
        for (int32_t id : ids)
            want.insert(want.end(), rows.begin() + id * cols, rows.begin() + (id + 1) * cols);
        for (GpuUnderTest& gpu : gpus_) {
            Backend& b = *gpu.backend;
            Tensor out = b.allocate(DType::F32, tokens, cols);
            b.embed(upload_bytes(b, type, vocab, cols, table), ids, out);
            EXPECT_CLOSE(read_all(b, out), want, 1e-7, gpu.label);
            std::vector<int32_t> bad = {vocab};
            QVERIFY_THROWS_EXCEPTION(Error,
                                     b.embed(upload_bytes(b, type, vocab, cols, table), bad, out.row(0)));
        }
    }

    void elementwise_data() {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::newRow("1x1") << 1 << 1;
        QTest::newRow("3x17") << 3 << 17;
        QTest::newRow("17x33") << 17 << 33;
        QTest::newRow("100x257") << 100 << 257;
    }

    // add, add_bias and swiglu, chained so each reads the one before.
    void elementwise() {
        QFETCH(int, rows);
        QFETCH(int, cols);
        std::vector<float> y = random_values(size_t(rows * cols), 6, 4.0f),
                           x = random_values(size_t(rows * cols), 7, 4.0f);
        std::vector<float> bias = random_values(size_t(cols), 8), up = random_values(size_t(rows * cols), 9);
        auto run = [&](Backend& b) {
            Tensor ty = upload_f32(b, rows, cols, y), tx = upload_f32(b, rows, cols, x);
            Tensor tup = upload_f32(b, rows, cols, up), out = b.allocate(DType::F32, rows, cols);
            b.add(ty, tx);
            b.add_bias(ty, upload_f32(b, 1, cols, bias));
            std::vector<float> added = read_all(b, ty);
            b.swiglu(ty, tup, out);
            return std::pair{added, read_all(b, out)};
        };
        auto want = run(cpu_);
        for (GpuUnderTest& gpu : gpus_) {
            auto got = run(*gpu.backend);
            EXPECT_CLOSE(got.first, want.first, 1e-7, gpu.label + " add, add_bias");
            EXPECT_CLOSE(got.second, want.second, kTolerance, gpu.label + " swiglu");
        }
    }

    void norms_data() {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::newRow("1x1") << 1 << 1;
        QTest::newRow("3x17") << 3 << 17;
        QTest::newRow("17x33") << 17 << 33;
        QTest::newRow("100x257") << 100 << 257;
        QTest::newRow("2x1000") << 2 << 1000;
    }

    void norms() {
        QFETCH(int, rows);
        QFETCH(int, cols);
        std::vector<float> x = random_values(size_t(rows * cols), 10, 3.0f);
        for (float& v : x)
            v += 0.5f;  // a mean away from zero tests layer norm's centring
        std::vector<float> weight = random_values(size_t(cols), 11), bias = random_values(size_t(cols), 12);
        std::vector<float> delta = random_values(size_t(rows * cols), 13);
        auto run = [&](Backend& b) {
            Tensor tx = upload_f32(b, rows, cols, x), w = upload_f32(b, 1, cols, weight);
            Tensor y1 = b.allocate(DType::F32, rows, cols), y2 = b.allocate(DType::F32, rows, cols);
            Tensor y3 = b.allocate(DType::F32, rows, cols), y4 = b.allocate(DType::F32, rows, cols);
            b.rms_norm(tx, w, 1e-5f, y1);
            b.layer_norm(tx, w, upload_f32(b, 1, cols, bias), 1e-5f, y2);
            b.layer_norm(tx, w, Tensor{}, 1e-6f, y3);
            b.add_rms_norm(tx, upload_f32(b, rows, cols, delta), w, 1e-5f, y4);  // updates tx too
            return std::vector{read_all(b, y1), read_all(b, y2), read_all(b, y3), read_all(b, y4),
                               read_all(b, tx)};
        };
        auto want = run(cpu_);
        for (GpuUnderTest& gpu : gpus_) {
            auto got = run(*gpu.backend);
            EXPECT_CLOSE(got[0], want[0], kTolerance, gpu.label + " rms_norm");
            EXPECT_CLOSE(got[1], want[1], kTolerance, gpu.label + " layer_norm");
            EXPECT_CLOSE(got[2], want[2], kTolerance, gpu.label + " layer_norm without bias");
            EXPECT_CLOSE(got[3], want[3], kTolerance, gpu.label + " add_rms_norm");
            EXPECT_CLOSE(got[4], want[4], kTolerance, gpu.label + " add_rms_norm's sum");
        }
    }

    void rope_data() {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("head_dim");
        QTest::addColumn<int>("rotary_dims");
        QTest::addColumn<bool>("interleaved");
        QTest::addColumn<int>("pos0");
        QTest::newRow("hd8 halves pos0") << 3 << 2 << 8 << 8 << false << 0;
        QTest::newRow("hd16 interleaved") << 17 << 3 << 16 << 16 << true << 5;
        QTest::newRow("hd64 halves") << 5 << 4 << 64 << 64 << false << 37;
        QTest::newRow("hd64 partial halves") << 3 << 4 << 64 << 32 << false << 100;
        QTest::newRow("hd16 partial interleaved") << 2 << 2 << 16 << 8 << true << 1000;
        QTest::newRow("hd64 long context") << 1 << 8 << 64 << 64 << false << 30000;
    }

    void rope() {
        QFETCH(int, rows);
        QFETCH(int, heads);
        QFETCH(int, head_dim);
        QFETCH(int, rotary_dims);
        QFETCH(bool, interleaved);
        QFETCH(int, pos0);
        std::vector<float> x = random_values(size_t(rows * heads * head_dim), 13);
        std::vector<float> freq = rope_frequencies(rotary_dims);
        auto run = [&](Backend& b) {
            Tensor t = upload_f32(b, rows, int64_t{heads} * head_dim, x);
            RopeOptions o{heads, head_dim, rotary_dims, interleaved, upload_f32(b, 1, rotary_dims / 2, freq),
                          pos0};
            b.rope(t, o);
            return read_all(b, t);
        };
        std::vector<float> want = run(cpu_);
        for (GpuUnderTest& gpu : gpus_) {
            // Angles formed in float (no shaderFloat64, or not used) are off by up to half a float ulp of
            // position * frequency, as in PyTorch's float32 RoPE: allow for that far along the context.
            bool float_angles = gpu.label.find("float angles") != std::string::npos;
            double tolerance = kTolerance + (float_angles ? (pos0 + rows) * 1.2e-7 : 0.0);
            EXPECT_CLOSE(run(*gpu.backend), want, tolerance, gpu.label);
        }
    }

    void attention_data() {
        QTest::addColumn<int>("head_dim");
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("kv_heads");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("pos0");
        QTest::addColumn<bool>("probs");
        // head_dim 6, 8, 16, 64, 80, 128, 256; GQA ratios 1, 2, 4; prefill and decode; empty and filled
        // caches; long rows of probabilities (split over heads or tokens with small bindings).
        QTest::newRow("hd8 mha decode") << 8 << 4 << 4 << 1 << 0 << false;
        QTest::newRow("hd8 gqa2 prefill probs") << 8 << 4 << 2 << 17 << 0 << true;
        QTest::newRow("hd16 gqa4 prefill after cache") << 16 << 8 << 2 << 3 << 5 << true;
        QTest::newRow("hd16 mha decode long") << 16 << 2 << 2 << 1 << 100 << true;
        QTest::newRow("hd64 gqa2 decode") << 64 << 4 << 2 << 1 << 100 << false;
        QTest::newRow("hd64 gqa4 prefill") << 64 << 8 << 2 << 17 << 0 << true;
        QTest::newRow("hd64 mha chunk after cache") << 64 << 2 << 2 << 3 << 65 << true;
        QTest::newRow("hd16 gqa4 many heads probs") << 16 << 8 << 2 << 17 << 100 << true;
        QTest::newRow("hd8 long prefill probs") << 8 << 2 << 1 << 100 << 0 << true;
        QTest::newRow("hd8 mha tile boundary") << 8 << 2 << 2 << 2 << 63 << true;
        // Tiles of 256 positions; head sizes that are not a multiple of 4 (keys read one float at a time)
        // or do not divide the work group (some invocations idle when values are summed).
        QTest::newRow("hd6 decode after long cache") << 6 << 2 << 1 << 1 << 300 << true;
        QTest::newRow("hd80 gqa2 decode three tiles") << 80 << 4 << 2 << 1 << 600 << false;
        QTest::newRow("hd128 mha tile boundary") << 128 << 2 << 2 << 2 << 255 << false;
        QTest::newRow("hd256 prefill after cache probs") << 256 << 2 << 1 << 5 << 260 << true;
    }

    void attention() {
        QFETCH(int, head_dim);
        QFETCH(int, heads);
        QFETCH(int, kv_heads);
        QFETCH(int, n);
        QFETCH(int, pos0);
        QFETCH(bool, probs);
        const int64_t q_dim = int64_t{heads} * head_dim, kv_dim = int64_t{kv_heads} * head_dim;
        const int64_t context = pos0 + n, capacity = context + 3;
        std::vector<float> q = random_values(size_t(n * q_dim), 14, 2.0f);
        std::vector<float> keys = random_values(size_t(capacity * kv_dim), 15, 2.0f);
        std::vector<float> values = random_values(size_t(capacity * kv_dim), 16);
        auto run = [&](Backend& b) {
            AttentionOptions a;
            a.q = upload_f32(b, n, q_dim, q);
            a.k_cache = b.allocate(DType::F32, capacity, kv_dim);
            a.v_cache = b.allocate(DType::F32, capacity, kv_dim);
            b.write(a.k_cache, keys);
            b.write(a.v_cache, values);
            a.out = b.allocate(DType::F32, n, q_dim);
            a.heads = heads;
            a.kv_heads = kv_heads;
            a.head_dim = head_dim;
            a.pos0 = pos0;
            a.scale = 1.0f / std::sqrt(float(head_dim));
            if (probs) a.probs = b.allocate(DType::F32, heads * int64_t{n}, context);
            b.attention(a);
            return std::pair{read_all(b, a.out), probs ? read_all(b, a.probs) : std::vector<float>{}};
        };
        auto want = run(cpu_);
        for (GpuUnderTest& gpu : gpus_) {
            if (gpu.label == "small bindings" && context * kv_dim * 4 > (32 << 10) - 512)
                continue;  // cache too big
            auto got = run(*gpu.backend);
            EXPECT_CLOSE(got.first, want.first, kTolerance, gpu.label + " output");
            EXPECT_CLOSE(got.second, want.second, kTolerance, gpu.label + " probabilities");
        }
    }

    // write, copy_rows into a cache and read, for each type a tensor can be written in.
    void transfers() {
        const int64_t rows = 7, cols = 33;
        std::vector<float> values = random_values(size_t(rows * cols), 17);
        for (GpuUnderTest& gpu : gpus_) {
            Backend& b = *gpu.backend;
            Tensor src = b.allocate(DType::F32, rows, cols), cache = b.allocate(DType::F32, 20, cols);
            b.write(src, values);
            b.copy_rows(src, cache, 5);
            std::vector<float> got = read_all(b, cache), want(size_t(20 * cols), 0.0f);
            std::copy(values.begin(), values.end(), want.begin() + 5 * cols);
            QCOMPARE(got, want);
            for (DType type : {DType::F16, DType::BF16}) {
                Tensor t = b.allocate(type, rows, cols), c = cpu_.allocate(type, rows, cols);
                b.write(t, values);
                cpu_.write(c, values);
                QCOMPARE(read_all(b, t), read_all(cpu_, c));
            }
        }
    }

    void refusesWhatItCannotDo() {
        for (GpuUnderTest& gpu : gpus_) {
            Backend& b = *gpu.backend;
            Tensor f32 = b.allocate(DType::F32, 2, 32), f16 = b.allocate(DType::F16, 4, 32);
            QVERIFY_THROWS_EXCEPTION(Error, b.copy_rows(f32, f16, 0));  // conversion on copy
            // Q8_K is an activation format: no weights are stored in it.
            Tensor q8k = b.allocate(DType::Q8_K, 4, 256), x = b.allocate(DType::F32, 1, 256);
            QVERIFY_THROWS_EXCEPTION(Error, b.matmul(x, q8k, b.allocate(DType::F32, 1, 4)));
            Tensor on_cpu = cpu_.allocate(DType::F32, 2, 32);
            QVERIFY_THROWS_EXCEPTION(Error, b.add(f32, on_cpu));      // another backend's tensor
            QVERIFY_THROWS_EXCEPTION(Error, b.add(f32, f32.row(0)));  // shapes
            AttentionOptions a;
            a.q = b.allocate(DType::F32, 1, 512);
            a.k_cache = a.v_cache = b.allocate(DType::F32, 4, 512);
            a.out = b.allocate(DType::F32, 1, 512);
            a.heads = a.kv_heads = 1;
            a.head_dim = 512;  // beyond the kernel's 256
            QVERIFY_THROWS_EXCEPTION(Error, b.attention(a));
        }
    }
};

QTEST_APPLESS_MAIN(TestVulkanOps)
#include "test_vulkan_ops.moc"
