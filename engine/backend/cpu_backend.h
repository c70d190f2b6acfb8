// The CPU backend: kernels from engine/kernels/ run by a thread pool on tensors in RAM. Weights are copied
// into its own memory when uploaded: one after another in the order they come (StreamArena, in 2 MiB pages
// where the system grants them), in the layout their matrix kernel wants: quantized formats as interleaved
// rows for the SIMD kernels (kernels/quant/interleaved.h), everything else as stored.
#pragma once

#include <vector>

#include "backend/backend.h"
#include "util/system_memory.h"
#include "util/thread_pool.h"

namespace loom {

struct MatmulKernel;

class CpuBackend final : public Backend {
  public:
    explicit CpuBackend(int threads);

    std::string name() const override;
    int threads() const { return pool_.size(); }

    double measure_memory_bandwidth() override;  // reads on every thread of the pool

    // Refuses weights larger than the memory the system can give now (they are copied into RAM).
    void check_model_fits(const ModelFootprint& footprint) override;
    Tensor upload(const HostTensor& host) override;
    Tensor allocate(DType dtype, int64_t rows, int64_t cols) override;
    void read(const Tensor& tensor, std::span<float> out) override;
    void write(const Tensor& tensor, std::span<const float> values) override;
    void copy_rows(const Tensor& src, const Tensor& dst, int64_t dst_row) override;

    void embed(const Tensor& table, std::span<const int32_t> tokens, const Tensor& out) override;
    void matmul(const Tensor& x, const Tensor& w, const Tensor& y) override;
    void add_bias(const Tensor& y, const Tensor& bias) override;
    void matmul_bias(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) override;
    void project(const Tensor& x, std::span<const Projection> products,
                 std::span<const Tensor> next) override;
    void add(const Tensor& y, const Tensor& x) override;
    void rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& y) override;
    void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                    const Tensor& y) override;
    void rope(const Tensor& x, const RopeOptions& options) override;
    void swiglu(const Tensor& gate, const Tensor& up, const Tensor& out) override;
    void attention(const AttentionOptions& options) override;

    // The bytes of a tensor of this backend (throws for another backend's tensor), in the tensor's layout.
    std::byte* data(const Tensor& tensor) const;
    // Whether a weight tensor is held as interleaved rows rather than its stored layout.
    bool interleaved(const Tensor& tensor) const;
    float* f32(const Tensor& tensor) const;

  private:
    // Row `row` of a tensor in the stored layout: in place, or converted into `scratch`.
    const std::byte* stored_row(const Tensor& tensor, int64_t row, std::vector<std::byte>& scratch) const;
    // Runs fn(row_begin, row_end) over `rows` rows, inline when the work (rows * cost_per_row) is too small
    // to be worth waking the other threads.
    template <class Fn>
    void for_rows(int64_t rows, int64_t cost_per_row, Fn&& fn);
    // Rows per chunk of a `rows` x `k` matrix for `kernel` when project() multiplies `inputs` inputs with
    // matrices of `total_rows` rows in all; every row in one chunk when the product runs on the calling
    // thread alone.
    int64_t project_chunk_rows(const MatmulKernel& kernel, int64_t k, int64_t rows, int64_t total_rows,
                               int64_t inputs) const;
    // Fills warm_ with each thread's first stretch of `next` as project() will share it out: what the
    // threads read while they wait for the current product's last chunks and for the next product.
    void plan_warm(std::span<const Tensor> next, int64_t inputs);

    // The rotation angles of the positions one forward pass rotates: every layer rotates the same positions
    // with the same frequencies (queries and keys), so they are computed once, by the first rope call,
    // instead of 2 x layers times (in double precision, the sines and cosines were 2.6 us of each layer of a
    // decoded token). Valid while the frequencies and positions match.
    struct RopeAngles {
        std::vector<float> inv_freq;  // the frequencies they were computed with
        int64_t first = 0, rows = 0;  // positions first .. first + rows - 1
        std::vector<float> cos, sin;  // [rows][rotary_dims / 2]
    };
    const RopeAngles& rope_angles_for(const RopeOptions& options, int64_t rows);

    // attention() for one token over a long context: each thread takes a part of the positions, for every
    // head, and reads its cache rows whole; the parts' softmaxes are merged by their log-sum-exps. (Split
    // by key/value heads, as attention() does otherwise, each thread reads a part of every row: with two
    // key/value heads, two threads read the cache at half the speed of whole rows.)
    void attend_by_positions(const AttentionOptions& options);

    ThreadPool pool_;
    // LOOM_PREFETCH, read when the backend is made (a bad value is reported then, not from a kernel) and
    // handed to every matrix product.
    const size_t prefetch_ahead_bytes_;
    StreamArena weight_arena_;                 // the memory of uploaded tensors
    std::vector<std::byte> converted_inputs_;  // activations converted for quantized matrix kernels
    std::vector<ThreadPool::Warm> warm_;       // plan_warm's stretches, one per thread
    RopeAngles rope_angles_;
    // attend_by_positions: per part and head, the output over the part's positions and its log-sum-exp.
    std::vector<float> part_outputs_, part_log_sums_;
};

}  // namespace loom
