#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernel_test_support.h"
#include "kernels/convert.h"
#include "kernels/matmul.h"

using namespace loom;

// The float-weight matrix kernels (F32, F16, BF16) at every level this CPU supports, against a
// double-precision product of the same stored weights, on shapes that are not multiples of any vector width
// or tile.
class TestMatmul : public QObject {
    Q_OBJECT
  private slots:
    void floatKernelsMatchReference() {
        std::mt19937 rng(21);
        for (DType type : {DType::F32, DType::F16, DType::BF16})
            for (KernelLevel level : test::supported_levels()) {
                const MatmulKernel& kernel = matmul_kernel(type, level);
                QCOMPARE(kernel.weight_type, type);
                QCOMPARE(kernel.input_type, DType::F32);
                for (int64_t rows : {1, 3, 7, 33})
                    for (int64_t k : {1, 7, 17, 33, 100})
                        for (int64_t n : {1, 2, 5, 17})
                            check(kernel, rows, k, n, rng);
                check(kernel, 45, 896, 64, rng);  // full prefill tiles plus tails
            }
    }

    // Chunks for the threads: whole row blocks, about the share asked for, never more than kMaxChunkBytes
    // of weights (unless one row block is more), never more than the matrix.
    void chunksAreWholeRowBlocksOfBoundedSize() {
        for (DType type : {DType::F16, DType::Q8_0, DType::Q4_0, DType::Q6_K}) {
            const MatmulKernel& kernel = matmul_kernel(type);
            for (int64_t k : {256, 896, 4864}) {
                if (!row_fits_blocks(type, k)) continue;  // 896: no whole K-quant super-block
                const size_t row = row_bytes(type, k);
                const int64_t multiple = chunk_row_multiple(kernel, k);
                // The Qwen2.5-0.5B output head, four shares a thread on two threads: 3-5 MB each before
                // the bound, now at most 1 MiB.
                const int64_t head = chunk_rows(kernel, k, 151936, 151936 / 8);
                QCOMPARE(head % multiple, 0);
                QVERIFY(static_cast<size_t>(head) * row <= std::max(kMaxChunkBytes, row * size_t(multiple)));
                QVERIFY(static_cast<size_t>(head + multiple) * row > kMaxChunkBytes);  // not needlessly small
                // A small share is only rounded down to whole row blocks (or bounded, for long rows).
                const int64_t small = chunk_rows(kernel, k, 4864, 3 * multiple + 1);
                if (static_cast<size_t>(3 * multiple) * row <= kMaxChunkBytes)
                    QCOMPARE(small, 3 * multiple);
                else
                    QVERIFY(small % multiple == 0 &&
                            (small == multiple || size_t(small) * row <= kMaxChunkBytes));
                // Never more rows than the matrix has, never fewer than one row block.
                QCOMPARE(chunk_rows(kernel, k, 5, 100), int64_t{5});
                QCOMPARE(chunk_rows(kernel, k, 4864, 1), std::min<int64_t>(multiple, 4864));
            }
        }
    }

  private:
    static void check(const MatmulKernel& kernel, int64_t rows, int64_t k, int64_t n, std::mt19937& rng) {
        const DType type = kernel.weight_type;
        std::vector<float> w = test::random_values(static_cast<size_t>(rows * k), rng);
        std::vector<float> x = test::random_values(static_cast<size_t>(n * k), rng);
        size_t weight_row = row_bytes(type, k);
        std::vector<std::byte> stored(weight_row * static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r) {
            row_from_float(type, w.data() + r * k, k, stored.data() + r * static_cast<int64_t>(weight_row));
            row_to_float(type, stored.data() + r * static_cast<int64_t>(weight_row), k, w.data() + r * k);
        }
        MatmulProblem p;
        p.weights = stored.data();
        p.weight_row_bytes = weight_row;
        p.inputs = reinterpret_cast<const std::byte*>(x.data());
        p.input_row_bytes = static_cast<size_t>(k) * sizeof(float);
        p.n = n;
        p.k = k;
        p.output_stride = rows + 1;
        std::vector<float> y(static_cast<size_t>(n * (rows + 1)), -999.0f);
        p.outputs = y.data();
        int64_t split =
            std::min(rows, kernel.row_multiple * std::max<int64_t>(1, rows / (2 * kernel.row_multiple)));
        kernel.rows(p, 0, split);
        if (split < rows) kernel.rows(p, split, rows);
        // Without prefetching (LOOM_PREFETCH=0): the same numbers.
        std::vector<float> unprefetched(y.size(), -999.0f);
        MatmulProblem plain = p;
        plain.outputs = unprefetched.data();
        plain.prefetch_ahead_bytes = 0;
        kernel.rows(plain, 0, rows);
        if (unprefetched != y) QFAIL("the kernel computes other numbers without prefetching");
        for (int64_t t = 0; t < n; ++t) {
            for (int64_t r = 0; r < rows; ++r) {
                double want = 0.0, magnitude = 0.0;
                for (int64_t i = 0; i < k; ++i) {
                    double product = double{w[size_t(r * k + i)]} * x[size_t(t * k + i)];
                    want += product;
                    magnitude += std::fabs(product);
                }
                double got = y[size_t(t * (rows + 1) + r)];
                // F32 summation of k products: a few ulps of the magnitude per term in the worst case.
                double bound = 1e-6 * magnitude * std::sqrt(static_cast<double>(k)) + 1e-30;
                if (!(std::fabs(got - want) <= bound))
                    QFAIL(qPrintable(QString("%1 at %2, rows %3 k %4 n %5: y(%6, %7) = %8, expected %9")
                                         .arg(QString::fromStdString(std::string(dtype_name(type))))
                                         .arg(kernel_level_name(kernel.level))
                                         .arg(rows)
                                         .arg(k)
                                         .arg(n)
                                         .arg(t)
                                         .arg(r)
                                         .arg(got)
                                         .arg(want)));
            }
            QCOMPARE(y[size_t(t * (rows + 1) + rows)], -999.0f);  // the stride gap stays untouched
        }
    }
};

QTEST_APPLESS_MAIN(TestMatmul)
#include "test_matmul.moc"
