#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernel_test_support.h"
#include "kernels/matmul.h"
#include "kernels/quant/interleaved.h"
#include "kernels/quant/quant.h"
#include "util/error.h"

using namespace loom;

// Quantized matrix kernels against their definition: the product of the dequantized weights with the
// dequantized (quantized-once) activations, computed in double. Every kernel level this CPU supports runs on
// shapes that are not multiples of the block, the SIMD width or the kernels' tiles, and the SIMD levels must
// agree with the scalar reference.
namespace {

const DType kWeightTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                              DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};

QString name(DType type) {
    return QString::fromStdString(std::string(dtype_name(type)));
}

struct Product {
    std::vector<float> y;           // [n, rows] at stride rows + 3
    std::vector<double> reference;  // the same from dequantized operands, in double
    std::vector<double> magnitude;  // sum |w| |x| of each output: the scale of its rounding error
};

struct Shape {
    int64_t rows, k, n;
};

// Runs `kernel` the way the CPU backend does: weights interleaved if the kernel wants them so, activations
// converted once, rows handed out in two ranges that split at a multiple of row_multiple.
std::vector<float> run(const MatmulKernel& kernel, const std::vector<uint8_t>& stored,
                       const std::vector<float>& x, Shape s, std::vector<std::byte>& converted) {
    std::vector<uint8_t> interleaved;
    if (kernel.interleaved_rows) {
        interleaved.resize(interleaved_bytes(kernel.weight_type, s.rows, s.k));
        const int64_t groups = (s.rows + kInterleavedRows - 1) / kInterleavedRows;
        interleave_rows(kernel.weight_type, reinterpret_cast<const std::byte*>(stored.data()), s.rows, s.k, 0,
                        groups, reinterpret_cast<std::byte*>(interleaved.data()));
    }
    const std::vector<uint8_t>& weights = kernel.interleaved_rows ? interleaved : stored;
    size_t input_row = row_bytes(kernel.input_type, s.k);
    converted.assign(input_row * static_cast<size_t>(s.n), std::byte{0});
    for (int64_t t = 0; t < s.n; ++t)
        kernel.convert_input(x.data() + t * s.k, s.k, converted.data() + static_cast<size_t>(t) * input_row);
    MatmulProblem p;
    p.weights = reinterpret_cast<const std::byte*>(weights.data());
    p.weight_row_bytes = stored.size() / static_cast<size_t>(s.rows);
    p.inputs = converted.data();
    p.input_row_bytes = input_row;
    p.n = s.n;
    p.k = s.k;
    p.output_stride = s.rows + 3;
    std::vector<float> y(static_cast<size_t>(p.output_stride * s.n), -999.0f);
    p.outputs = y.data();
    int64_t split = kernel.row_multiple * std::max<int64_t>(1, s.rows / (2 * kernel.row_multiple));
    if (split >= s.rows) split = s.rows;
    kernel.rows(p, 0, split);
    if (split < s.rows) kernel.rows(p, split, s.rows);
    // Without prefetching (LOOM_PREFETCH=0): the same numbers.
    std::vector<float> unprefetched(y.size(), -999.0f);
    MatmulProblem plain = p;
    plain.outputs = unprefetched.data();
    plain.prefetch_ahead_bytes = 0;
    kernel.rows(plain, 0, s.rows);
    if (unprefetched != y)
        QTest::qFail("the kernel computes other numbers without prefetching", __FILE__, __LINE__);
    return y;
}

Product multiply(const MatmulKernel& kernel, const std::vector<uint8_t>& weights, const std::vector<float>& x,
                 Shape s) {
    std::vector<std::byte> converted;
    Product out;
    out.y = run(kernel, weights, x, s, converted);
    std::vector<float> w(static_cast<size_t>(s.rows * s.k)), xq(static_cast<size_t>(s.n * s.k));
    size_t weight_row = weights.size() / static_cast<size_t>(s.rows);
    for (int64_t r = 0; r < s.rows; ++r)
        dequantize_row(kernel.weight_type,
                       reinterpret_cast<const std::byte*>(weights.data()) + r * weight_row, s.k,
                       w.data() + r * s.k);
    size_t input_row = row_bytes(kernel.input_type, s.k);
    for (int64_t t = 0; t < s.n; ++t)
        dequantize_row(kernel.input_type, converted.data() + t * input_row, s.k, xq.data() + t * s.k);
    for (int64_t t = 0; t < s.n; ++t)
        for (int64_t r = 0; r < s.rows; ++r) {
            double sum = 0.0, magnitude = 0.0;
            for (int64_t i = 0; i < s.k; ++i) {
                double product = double{w[size_t(r * s.k + i)]} * xq[size_t(t * s.k + i)];
                sum += product;
                magnitude += std::fabs(product);
            }
            out.reference.push_back(sum);
            out.magnitude.push_back(magnitude);
        }
    return out;
}

// Float rounding of block results and their sum: a few units in the last place of the largest partial sums.
constexpr double kTolerance = 2e-5;

std::vector<uint8_t> quantized_weights(DType type, Shape s, bool random_bits, std::mt19937& rng) {
    int64_t blocks = s.rows * s.k / dtype_info(type).block_elements;
    if (random_bits) return test::random_blocks(type, blocks, rng);
    std::vector<float> values = test::random_values(static_cast<size_t>(s.rows * s.k), rng, 0.05f);
    std::vector<uint8_t> out(row_bytes(type, s.k) * static_cast<size_t>(s.rows));
    for (int64_t r = 0; r < s.rows; ++r)
        quantize_row(
            type, values.data() + r * s.k, s.k,
            reinterpret_cast<std::byte*>(out.data()) + r * static_cast<int64_t>(row_bytes(type, s.k)));
    return out;
}

}  // namespace

class TestQuantMatmul : public QObject {
    Q_OBJECT
  private slots:
    void matchesDequantizedProduct() {
        std::mt19937 rng(11);
        for (DType type : kWeightTypes) {
            const int64_t block = dtype_info(type).block_elements;
            for (KernelLevel level : test::supported_levels()) {
                const MatmulKernel& kernel = matmul_kernel(type, level);
                QCOMPARE(kernel.weight_type, type);
                int case_index = 0;
                for (int64_t rows : {1, 3, 7, 33})
                    for (int64_t blocks : {1, 3, 7})
                        for (int64_t n : {1, 2, 5, 17}) {
                            Shape s{rows, blocks * block, n};
                            bool random_bits = ++case_index % 2 == 0;
                            std::vector<uint8_t> w = quantized_weights(type, s, random_bits, rng);
                            std::vector<float> x = test::random_values(static_cast<size_t>(n * s.k), rng);
                            Product p = multiply(kernel, w, x, s);
                            check(p, s,
                                  QString("%1 at %2, rows %3, k %4, n %5")
                                      .arg(name(type), kernel_level_name(level))
                                      .arg(rows)
                                      .arg(s.k)
                                      .arg(n));
                        }
            }
        }
    }

    // Larger shapes: many blocks per row (the decode kernels' scale batches), full tiles plus tails, and n
    // large enough for the prefill path.
    void matchesOnLargerShapes() {
        std::mt19937 rng(12);
        for (DType type : kWeightTypes)
            for (KernelLevel level : test::supported_levels()) {
                if (level == KernelLevel::Scalar) continue;  // the scalar path is covered above and slow here
                const MatmulKernel& kernel = matmul_kernel(type, level);
                // k = 4864 (Qwen2.5-0.5B's feed-forward width); 896 is not a whole number of K-quant blocks.
                // 83 rows of 1280: rows cut into panels, two row blocks (kernels/quant/interleaved.h), the
                // second partial, and the two ranges of run() split inside the first.
                const int64_t k_small = dtype_info(type).block_elements == 256 ? 768 : 896;
                for (Shape s : {Shape{37, 4864, 1}, Shape{37, 4864, 3}, Shape{50, k_small, 64},
                                Shape{19, 2816, 40}, Shape{83, 1280, 2}, Shape{83, 1280, 24}}) {
                    std::vector<uint8_t> w = quantized_weights(type, s, false, rng);
                    std::vector<float> x = test::random_values(static_cast<size_t>(s.n * s.k), rng);
                    check(multiply(kernel, w, x, s), s,
                          QString("%1 at %2, rows %3, k %4, n %5")
                              .arg(name(type), kernel_level_name(level))
                              .arg(s.rows)
                              .arg(s.k)
                              .arg(s.n));
                }
            }
    }

    // SIMD levels compute the same integers as the scalar reference: results agree to float rounding.
    void simdLevelsAgreeWithScalar() {
        std::mt19937 rng(13);
        for (DType type : kWeightTypes) {
            const int64_t block = dtype_info(type).block_elements;
            Shape s{21, 5 * block, 9};
            std::vector<uint8_t> w = quantized_weights(type, s, true, rng);
            std::vector<float> x = test::random_values(static_cast<size_t>(s.n * s.k), rng);
            Product reference = multiply(matmul_kernel(type, KernelLevel::Scalar), w, x, s);
            for (KernelLevel level : test::supported_levels()) {
                Product p = multiply(matmul_kernel(type, level), w, x, s);
                for (int64_t t = 0; t < s.n; ++t)
                    for (int64_t r = 0; r < s.rows; ++r) {
                        double a = p.y[size_t(t * (s.rows + 3) + r)],
                               b = reference.y[size_t(t * (s.rows + 3) + r)];
                        double bound = kTolerance * reference.magnitude[size_t(t * s.rows + r)] + 1e-30;
                        QVERIFY2(std::fabs(a - b) <= bound,
                                 qPrintable(QString("%1 at %2: output (%3, %4) is %5, scalar %6")
                                                .arg(name(type), kernel_level_name(level))
                                                .arg(t)
                                                .arg(r)
                                                .arg(a)
                                                .arg(b)));
                    }
            }
        }
    }

    // The SIMD activation quantizers produce exactly the bytes of the reference quantizer.
    void convertInputMatchesReference() {
        std::mt19937 rng(14);
        for (DType type : kWeightTypes)
            for (KernelLevel level : test::supported_levels()) {
                const MatmulKernel& kernel = matmul_kernel(type, level);
                for (int64_t k : {int64_t{256}, int64_t{1792}, int64_t{4864}}) {
                    std::vector<float> x = test::random_values(static_cast<size_t>(k), rng, 3.0f);
                    x[5] = 0.0f;
                    std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero block
                    size_t bytes = row_bytes(kernel.input_type, k);
                    std::vector<std::byte> simd(bytes), reference(bytes);
                    kernel.convert_input(x.data(), k, simd.data());
                    quantize_row(kernel.input_type, x.data(), k, reference.data());
                    QVERIFY2(std::memcmp(simd.data(), reference.data(), bytes) == 0,
                             qPrintable(
                                 QString("%1 at %2, k %3").arg(name(type), kernel_level_name(level)).arg(k)));
                }
            }
    }

    void kernelsReportTheirTypes() {
        for (DType type : kWeightTypes) {
            const MatmulKernel& kernel = matmul_kernel(type);
            bool k_quant = dtype_info(type).block_elements == 256;
            QCOMPARE(kernel.input_type, k_quant ? DType::Q8_K : DType::Q8_0S);
            QVERIFY(kernel.convert_input != nullptr);
            QVERIFY(kernel.row_multiple >= 1);
        }
        QVERIFY_THROWS_EXCEPTION(Error, matmul_kernel(DType::Q8_K));
        QVERIFY_THROWS_EXCEPTION(Error, matmul_kernel(DType::Q8_0S));
    }

  private:
    static void check(const Product& p, Shape s, const QString& what) {
        for (int64_t t = 0; t < s.n; ++t) {
            for (int64_t r = 0; r < s.rows; ++r) {
                double got = p.y[size_t(t * (s.rows + 3) + r)], want = p.reference[size_t(t * s.rows + r)];
                double bound = kTolerance * p.magnitude[size_t(t * s.rows + r)] + 1e-30;
                if (!(std::fabs(got - want) <= bound))
                    QFAIL(qPrintable(QString("%1: output (%2, %3) is %4, expected %5 (tolerance %6)")
                                         .arg(what)
                                         .arg(t)
                                         .arg(r)
                                         .arg(got)
                                         .arg(want)
                                         .arg(bound)));
            }
            for (int64_t r = s.rows; r < s.rows + 3; ++r)  // the stride's gap stays untouched
                if (p.y[size_t(t * (s.rows + 3) + r)] != -999.0f)
                    QFAIL(qPrintable(what + ": wrote past its rows"));
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantMatmul)
#include "test_quant_matmul.moc"
