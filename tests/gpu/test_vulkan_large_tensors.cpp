// Tensors larger than one descriptor can bind (maxStorageBufferRange: 128 MiB on lavapipe, and on some
// GPUs): a 40000 x 1024 F32 matrix (164 MB), like a large vocabulary's embedding and output matrices, is
// bound in pieces of rows by matmul and embed, and read back in pieces.
#include <QtTest>

#include "backend/cpu_backend.h"
#include "gpu_test_support.h"

using namespace loom;
using namespace loom::test;

class TestVulkanLargeTensors : public QObject {
    Q_OBJECT

    static constexpr int64_t kRows = 40000, kCols = 1024;

    CpuBackend cpu_{2};
    std::unique_ptr<Backend> gpu_;
    std::vector<float> values_;
    Tensor cpu_matrix_, gpu_matrix_;

  private slots:
    void initTestCase() {
        gpu_ = make_vulkan_backend({});
        values_ = random_values(size_t(kRows * kCols), 21);
        QVERIFY(values_.size() * sizeof(float) > (size_t{128} << 20));
        cpu_matrix_ = upload_f32(cpu_, kRows, kCols, values_);
        gpu_matrix_ = upload_f32(*gpu_, kRows, kCols, values_);
    }

    void readsBackWhatWasUploaded() {
        std::vector<float> got = read_all(*gpu_, gpu_matrix_);
        QVERIFY(got == values_);
    }

    void matmul_data() {
        QTest::addColumn<int>("tokens");
        QTest::newRow("decode") << 1;   // matvec
        QTest::newRow("prefill") << 9;  // tiled matmul
    }

    void matmul() {
        QFETCH(int, tokens);
        std::vector<float> x = random_values(size_t(tokens * kCols), 22);
        Tensor y_cpu = cpu_.allocate(DType::F32, tokens, kRows),
               y_gpu = gpu_->allocate(DType::F32, tokens, kRows);
        cpu_.matmul(upload_f32(cpu_, tokens, kCols, x), cpu_matrix_, y_cpu);
        gpu_->matmul(upload_f32(*gpu_, tokens, kCols, x), gpu_matrix_, y_gpu);
        double error = relative_error(read_all(*gpu_, y_gpu), read_all(cpu_, y_cpu));
        QVERIFY2(error < 1e-5, qPrintable(QString::number(error)));
    }

    // Tokens from both ends of the table land in different bound pieces.
    void embed() {
        std::vector<int32_t> tokens = {0, int32_t(kRows - 1), 20000, 32767, 32768, 5};
        Tensor out = gpu_->allocate(DType::F32, int64_t(tokens.size()), kCols);
        gpu_->embed(gpu_matrix_, tokens, out);
        std::vector<float> got = read_all(*gpu_, out), want;
        for (int32_t t : tokens)
            want.insert(want.end(), values_.begin() + t * kCols, values_.begin() + (t + 1) * kCols);
        QVERIFY(got == want);
    }
};

QTEST_APPLESS_MAIN(TestVulkanLargeTensors)
#include "test_vulkan_large_tensors.moc"
