#include "backend/cpu_backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/convert.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/vector.h"
#include "util/bandwidth.h"
#include "util/error.h"

namespace loom {

namespace {

// Memory of a CPU tensor: either owned (activations, caches, converted weights) or borrowed from a
// host buffer such as a memory-mapped file, which `owner` keeps alive.
class CpuStorage final : public TensorStorage {
  public:
    CpuStorage(const void* backend, size_t bytes) : TensorStorage(backend) {
        size_t rounded = (bytes + 63) / 64 * 64;
        owned_ = static_cast<std::byte*>(std::aligned_alloc(64, rounded ? rounded : 64));
        if (!owned_) fail("out of memory allocating ", bytes, " bytes");
        std::memset(owned_, 0, rounded);
        data_ = owned_;
    }
    CpuStorage(const void* backend, const std::byte* borrowed, std::shared_ptr<const void> owner)
        : TensorStorage(backend), data_(const_cast<std::byte*>(borrowed)), owner_(std::move(owner)) {}
    ~CpuStorage() override { std::free(owned_); }

    std::byte* data() const { return data_; }

  private:
    std::byte* owned_ = nullptr;
    std::byte* data_ = nullptr;
    std::shared_ptr<const void> owner_;
};

// Below this many multiply-adds an operation runs on the calling thread alone.
constexpr int64_t kParallelThreshold = 16384;

void require(bool condition, const char* what) {
    if (!condition) fail("CPU backend: ", what);
}

}  // namespace

CpuBackend::CpuBackend(int threads) : pool_(threads) {}

std::string CpuBackend::name() const {
    return cat("CPU, ", kernel_level_name(best_kernel_level()), ", ", pool_.size(),
               pool_.size() == 1 ? " thread" : " threads");
}

double CpuBackend::measure_memory_bandwidth() {
    return loom::measure_memory_bandwidth(pool_);
}

std::byte* CpuBackend::data(const Tensor& tensor) const {
    require(tensor.storage != nullptr, "tensor has no storage");
    require(tensor.storage->owner() == this, "tensor belongs to another backend");
    return static_cast<const CpuStorage*>(tensor.storage.get())->data() + tensor.offset;
}

float* CpuBackend::f32(const Tensor& tensor) const {
    require(tensor.dtype == DType::F32, "expected an F32 tensor");
    return reinterpret_cast<float*>(data(tensor));
}

template <class Fn>
void CpuBackend::for_rows(int64_t rows, int64_t cost_per_row, Fn&& fn) {
    if (rows * cost_per_row < kParallelThreshold || pool_.size() == 1) {
        fn(int64_t{0}, rows);
        return;
    }
    pool_.parallel_for(rows, pool_.grain_for(rows, 2), fn);
}

Tensor CpuBackend::upload(const HostTensor& host) {
    require(host.bytes.size() == static_cast<size_t>(host.rows) * row_bytes(host.dtype, host.cols),
            "host tensor size does not match its shape");
    Tensor t;
    t.dtype = host.dtype;
    t.rows = host.rows;
    t.cols = host.cols;
    t.storage = std::make_shared<CpuStorage>(this, host.bytes.data(), host.owner);
    return t;
}

Tensor CpuBackend::allocate(DType dtype, int64_t rows, int64_t cols) {
    Tensor t;
    t.dtype = dtype;
    t.rows = rows;
    t.cols = cols;
    t.storage = std::make_shared<CpuStorage>(this, static_cast<size_t>(rows) * loom::row_bytes(dtype, cols));
    return t;
}

void CpuBackend::read(const Tensor& tensor, std::span<float> out) {
    require(out.size() == static_cast<size_t>(tensor.elements()), "read: output size does not match");
    const std::byte* src = data(tensor);
    for (int64_t r = 0; r < tensor.rows; ++r)
        row_to_float(tensor.dtype, src + r * tensor.row_bytes(), tensor.cols, out.data() + r * tensor.cols);
}

void CpuBackend::write(const Tensor& tensor, std::span<const float> values) {
    require(values.size() == static_cast<size_t>(tensor.elements()), "write: input size does not match");
    std::byte* dst = data(tensor);
    for (int64_t r = 0; r < tensor.rows; ++r)
        row_from_float(tensor.dtype, values.data() + r * tensor.cols, tensor.cols,
                       dst + r * tensor.row_bytes());
}

void CpuBackend::copy_rows(const Tensor& src, const Tensor& dst, int64_t dst_row) {
    require(src.cols == dst.cols && dst_row >= 0 && dst_row + src.rows <= dst.rows,
            "copy_rows: shapes differ");
    if (src.dtype == dst.dtype) {
        std::memcpy(data(dst) + dst_row * dst.row_bytes(), data(src), src.bytes());
        return;
    }
    require(src.dtype == DType::F32, "copy_rows: can only convert from F32");
    for (int64_t r = 0; r < src.rows; ++r)
        row_from_float(dst.dtype, f32(src) + r * src.cols, src.cols,
                       data(dst) + (dst_row + r) * dst.row_bytes());
}

void CpuBackend::embed(const Tensor& table, std::span<const int32_t> tokens, const Tensor& out) {
    require(out.rows == static_cast<int64_t>(tokens.size()) && out.cols == table.cols,
            "embed: shapes differ");
    const std::byte* rows = data(table);
    float* dst = f32(out);
    for (size_t i = 0; i < tokens.size(); ++i) {
        int32_t token = tokens[i];
        if (token < 0 || token >= table.rows)
            fail("token id ", token, " is outside the vocabulary (", table.rows, ")");
        row_to_float(table.dtype, rows + token * table.row_bytes(), table.cols, dst + i * out.cols);
    }
}

void CpuBackend::matmul(const Tensor& x, const Tensor& w, const Tensor& y) {
    require(x.cols == w.cols && y.rows == x.rows && y.cols == w.rows, "matmul: shapes differ");
    const MatmulKernel& kernel = matmul_kernel(w.dtype);
    MatmulProblem problem;
    problem.weights = data(w);
    problem.weight_row_bytes = w.row_bytes();
    problem.n = x.rows;
    problem.k = x.cols;
    problem.outputs = f32(y);
    problem.output_stride = y.cols;
    if (kernel.input_type == DType::F32) {
        problem.inputs = data(x);
        problem.input_row_bytes = x.row_bytes();
    } else {
        size_t row = loom::row_bytes(kernel.input_type, x.cols);
        converted_inputs_.resize(row * static_cast<size_t>(x.rows));
        const float* src = f32(x);
        for_rows(x.rows, x.cols, [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                kernel.convert_input(src + r * x.cols, x.cols, converted_inputs_.data() + r * row);
        });
        problem.inputs = converted_inputs_.data();
        problem.input_row_bytes = row;
    }
    int64_t grain = pool_.grain_for(w.rows, 4, kernel.row_multiple);
    if (w.rows * x.cols * x.rows < kParallelThreshold) grain = w.rows;
    pool_.parallel_for(w.rows, grain, [&](int64_t begin, int64_t end) { kernel.rows(problem, begin, end); });
}

void CpuBackend::add_bias(const Tensor& y, const Tensor& bias) {
    require(bias.cols == y.cols && bias.rows == 1, "add_bias: shapes differ");
    float* out = f32(y);
    const float* b = f32(bias);
    for (int64_t r = 0; r < y.rows; ++r)
        for (int64_t c = 0; c < y.cols; ++c)
            out[r * y.cols + c] += b[c];
}

void CpuBackend::add(const Tensor& y, const Tensor& x) {
    require(x.rows == y.rows && x.cols == y.cols, "add: shapes differ");
    float* out = f32(y);
    const float* in = f32(x);
    for (int64_t i = 0; i < y.elements(); ++i)
        out[i] += in[i];
}

void CpuBackend::rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& y) {
    require(x.rows == y.rows && x.cols == y.cols && weight.cols == x.cols, "rms_norm: shapes differ");
    const float* in = f32(x);
    const float* w = f32(weight);
    float* out = f32(y);
    for_rows(x.rows, x.cols, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            rms_norm_row(in + r * x.cols, w, x.cols, eps, out + r * x.cols);
    });
}

void CpuBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                            const Tensor& y) {
    require(x.rows == y.rows && x.cols == y.cols && weight.cols == x.cols, "layer_norm: shapes differ");
    const float* in = f32(x);
    const float* w = f32(weight);
    const float* b = bias.empty() ? nullptr : f32(bias);
    float* out = f32(y);
    for_rows(x.rows, x.cols, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            layer_norm_row(in + r * x.cols, w, b, x.cols, eps, out + r * x.cols);
    });
}

void CpuBackend::rope(const Tensor& x, const RopeOptions& options) {
    require(x.cols == int64_t{options.heads} * options.head_dim, "rope: shapes differ");
    require(options.rotary_dims <= options.head_dim && options.rotary_dims % 2 == 0, "rope: bad rotary_dims");
    RopeRow row{f32(options.inv_freq), options.rotary_dims, options.interleaved};
    float* values = f32(x);
    for_rows(x.rows, x.cols * 8, [&](int64_t begin, int64_t end) {
        std::vector<float> cos(static_cast<size_t>(options.rotary_dims / 2)), sin(cos.size());
        for (int64_t r = begin; r < end; ++r) {
            rope_angles(row, options.pos0 + r, cos.data(), sin.data());  // once for all heads of the token
            for (int h = 0; h < options.heads; ++h)
                rope_rotate(values + r * x.cols + int64_t{h} * options.head_dim, row, cos.data(), sin.data());
        }
    });
}

void CpuBackend::swiglu(const Tensor& gate, const Tensor& up, const Tensor& out) {
    require(gate.rows == up.rows && gate.cols == up.cols && out.rows == gate.rows && out.cols == gate.cols,
            "swiglu: shapes differ");
    const float* g = f32(gate);
    const float* u = f32(up);
    float* o = f32(out);
    const VectorKernels& vec = vector_kernels();
    for_rows(gate.rows, gate.cols * 4, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            vec.silu_mul(g + r * gate.cols, u + r * gate.cols, gate.cols, o + r * gate.cols);
    });
}

void CpuBackend::attention(const AttentionOptions& a) {
    const int64_t n = a.q.rows, head_dim = a.head_dim, context = a.pos0 + n;
    require(a.q.cols == int64_t{a.heads} * head_dim && a.out.rows == n && a.out.cols == a.q.cols,
            "attention: query/output shapes differ");
    require(a.kv_heads > 0 && a.heads % a.kv_heads == 0, "attention: heads must be a multiple of kv_heads");
    require(a.k_cache.cols == int64_t{a.kv_heads} * head_dim && a.v_cache.cols == a.k_cache.cols &&
                a.k_cache.rows >= context && a.v_cache.rows >= context,
            "attention: cache shapes differ");
    require(a.k_cache.dtype == DType::F32 && a.v_cache.dtype == DType::F32, "attention: cache must be F32");
    if (!a.probs.empty())
        require(a.probs.rows == int64_t{a.heads} * n && a.probs.cols == context,
                "attention: probs shape differs");

    const float* q = f32(a.q);
    const float* keys = f32(a.k_cache);
    const float* values = f32(a.v_cache);
    float* out = f32(a.out);
    float* probs = a.probs.empty() ? nullptr : f32(a.probs);
    const int64_t kv_stride = a.k_cache.cols;
    const int group = a.heads / a.kv_heads;
    const VectorKernels& vec = vector_kernels();

    // One task per (head, token); each needs a score row of the token's visible length.
    pool_.parallel_for(int64_t{a.heads} * n, 1, [&](int64_t begin, int64_t end) {
        std::vector<float> scores(static_cast<size_t>(context));
        for (int64_t task = begin; task < end; ++task) {
            int64_t h = task / n, i = task % n;
            int64_t visible = a.pos0 + i + 1;
            int64_t kv_offset = (h / group) * head_dim;
            const float* query = q + i * a.q.cols + h * head_dim;
            for (int64_t j = 0; j < visible; ++j)
                scores[size_t(j)] = vec.dot(query, keys + j * kv_stride + kv_offset, head_dim) * a.scale;
            vec.softmax(scores.data(), visible);
            float* o = out + i * a.out.cols + h * head_dim;
            std::fill(o, o + head_dim, 0.0f);
            for (int64_t j = 0; j < visible; ++j)
                vec.axpy(scores[size_t(j)], values + j * kv_stride + kv_offset, o, head_dim);
            if (probs) {
                float* row = probs + (h * n + i) * context;
                std::copy(scores.begin(), scores.begin() + visible, row);
                std::fill(row + visible, row + context, 0.0f);
            }
        }
    });
}

}  // namespace loom
