#include "backend/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/convert.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/quant/interleaved.h"
#include "kernels/vector.h"
#include "util/bandwidth.h"
#include "util/error.h"
#include "util/prefetch.h"
#include "util/system_memory.h"

namespace loom {

namespace {

// Memory of a CPU tensor: its own StreamBuffer (activations, caches), or a piece of the backend's weight
// arena (see StreamArena: weights get 2 MiB pages where the system allows, and lie in the order they are
// uploaded, which is the order a forward pass reads them).
class CpuStorage final : public TensorStorage {
  public:
    enum class Layout { Stored, InterleavedRows };  // weights: see kernels/quant/interleaved.h

    // Zero-filled memory of its own.
    CpuStorage(const void* backend, size_t bytes)
        : TensorStorage(backend), memory_(std::make_shared<StreamBuffer>(bytes)), data_(memory_->data()) {
        std::memset(data_, 0, memory_->size());
    }
    // A piece of an arena, uninitialised.
    CpuStorage(const void* backend, StreamArena::Piece piece)
        : TensorStorage(backend), memory_(std::move(piece.block)), data_(piece.data) {}

    std::byte* data() const { return data_; }
    Layout layout = Layout::Stored;

  private:
    std::shared_ptr<StreamBuffer> memory_;
    std::byte* data_;
};

// Below this many multiply-adds an operation runs on the calling thread alone.
constexpr int64_t kParallelThreshold = 16384;

// Whether project() multiplies `inputs` rows of `k` activations with matrices of `total_rows` rows in all on
// the calling thread alone.
bool product_runs_inline(int64_t total_rows, int64_t k, int64_t inputs) {
    return total_rows * k * inputs < kParallelThreshold;
}

void require(bool condition, const char* what) {
    if (!condition) fail("CPU backend: ", what);
}

// Attention reads the cache a tile of positions at a time: 64 rows of one head's keys, 16 KiB at 64
// dimensions.
constexpr int64_t kTile = 64;
// From this many positions on, one token's attention is split between the threads by positions rather than
// by key/value heads (CpuBackend::attend_by_positions): two tiles, one a thread. (At 128-256 positions both
// ways took the same time in the 0.5B model; at 1432 the split was about 1.15x as fast.)
constexpr int64_t kSplitPositionsFrom = 128;

}  // namespace

CpuBackend::CpuBackend(int threads) : pool_(threads), prefetch_ahead_bytes_(prefetch_ahead_bytes()) {}

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

void CpuBackend::check_model_fits(const ModelFootprint& footprint) {
    const uint64_t available = available_memory_bytes();
    if (available == 0 || footprint.total() <= available) return;
    fail(footprint.text(), ", but only ", size_text(available),
         " of memory is available: close other programs, or choose a smaller or more quantized model");
}

bool CpuBackend::interleaved(const Tensor& tensor) const {
    data(tensor);  // checks that the tensor is ours
    return static_cast<const CpuStorage*>(tensor.storage.get())->layout ==
           CpuStorage::Layout::InterleavedRows;
}

const std::byte* CpuBackend::stored_row(const Tensor& tensor, int64_t row,
                                        std::vector<std::byte>& scratch) const {
    if (!interleaved(tensor)) return data(tensor) + row * tensor.row_bytes();
    scratch.resize(tensor.row_bytes());
    deinterleave_row(tensor.dtype, data(tensor), tensor.cols, row, scratch.data());
    return scratch.data();
}

Tensor CpuBackend::upload(const HostTensor& host) {
    require(host.bytes.size() == static_cast<size_t>(host.rows) * row_bytes(host.dtype, host.cols),
            "host tensor size does not match its shape");
    Tensor t;
    t.dtype = host.dtype;
    t.rows = host.rows;
    t.cols = host.cols;
    // Weights are copied into this backend's memory (huge pages, see CpuStorage) rather than used from the
    // memory-mapped file, and into interleaved rows where their matrix kernel wants those.
    const bool interleave = interleaved_format(host.dtype) && matmul_kernel(host.dtype).interleaved_rows;
    const size_t bytes = interleave ? interleaved_bytes(host.dtype, host.rows, host.cols) : host.bytes.size();
    auto storage = std::make_shared<CpuStorage>(this, weight_arena_.allocate(bytes));
    if (interleave) {
        storage->layout = CpuStorage::Layout::InterleavedRows;
        const int64_t groups = (host.rows + kInterleavedRows - 1) / kInterleavedRows;
        pool_.parallel_for(groups, pool_.grain_for(groups), [&](int64_t begin, int64_t end) {
            interleave_rows(host.dtype, host.bytes.data(), host.rows, host.cols, begin, end, storage->data());
        });
    } else {
        const size_t row = host.rows > 0 ? host.bytes.size() / static_cast<size_t>(host.rows) : 0;
        for_rows(host.rows, static_cast<int64_t>(row), [&](int64_t begin, int64_t end) {
            std::memcpy(storage->data() + begin * row, host.bytes.data() + begin * row,
                        static_cast<size_t>(end - begin) * row);
        });
    }
    t.storage = std::move(storage);
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
    std::vector<std::byte> scratch;
    for (int64_t r = 0; r < tensor.rows; ++r)
        row_to_float(tensor.dtype, stored_row(tensor, r, scratch), tensor.cols, out.data() + r * tensor.cols);
}

void CpuBackend::write(const Tensor& tensor, std::span<const float> values) {
    require(values.size() == static_cast<size_t>(tensor.elements()), "write: input size does not match");
    require(!interleaved(tensor), "write: cannot overwrite weights in a kernel's layout");
    std::byte* dst = data(tensor);
    for (int64_t r = 0; r < tensor.rows; ++r)
        row_from_float(tensor.dtype, values.data() + r * tensor.cols, tensor.cols,
                       dst + r * tensor.row_bytes());
}

void CpuBackend::copy_rows(const Tensor& src, const Tensor& dst, int64_t dst_row) {
    require(src.cols == dst.cols && dst_row >= 0 && dst_row + src.rows <= dst.rows,
            "copy_rows: shapes differ");
    require(!interleaved(src) && !interleaved(dst), "copy_rows: cannot copy weights in a kernel's layout");
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
    float* dst = f32(out);
    std::vector<std::byte> scratch;
    for (size_t i = 0; i < tokens.size(); ++i) {
        int32_t token = tokens[i];
        if (token < 0 || token >= table.rows)
            fail("token id ", token, " is outside the vocabulary (", table.rows, ")");
        row_to_float(table.dtype, stored_row(table, token, scratch), table.cols, dst + i * out.cols);
    }
}

void CpuBackend::matmul(const Tensor& x, const Tensor& w, const Tensor& y) {
    const Projection product{w, Tensor{}, y};
    project(x, {&product, 1}, {});
}

void CpuBackend::matmul_bias(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) {
    const Projection product{w, bias, y};
    project(x, {&product, 1}, {});
}

namespace {
// Chunks of rows a thread gets of every project() call, at least (kernels/matmul.h: chunk_rows caps their
// size): enough for the thread done first to take some of the other's last rows, few enough that each
// thread reads long stretches. (Two and four were equally fast decoding a 0.5B model on the EPYC.)
constexpr int kChunksPerThread = 4;
// How much of the next product each thread reads ahead while it waits (ThreadPool::Warm): about what one
// wait covers, a quarter of a 1 MiB level-2 cache (128 and 512 KiB decoded as fast). Reading ahead made
// decode of the 0.5B benchmark model 1.01-1.024x as fast on the EPYC, every weight type, measured in one
// process on alternate tokens with and without it.
constexpr size_t kWarmBytes = size_t{256} << 10;
}  // namespace

int64_t CpuBackend::project_chunk_rows(const MatmulKernel& kernel, int64_t k, int64_t rows,
                                       int64_t total_rows, int64_t inputs) const {
    if (product_runs_inline(total_rows, k, inputs)) return rows;
    const int64_t target = std::max<int64_t>(1, total_rows / (int64_t{pool_.size()} * kChunksPerThread));
    return chunk_rows(kernel, k, rows, target);
}

void CpuBackend::plan_warm(std::span<const Tensor> next, int64_t inputs) {
    warm_.clear();
    if (next.empty() || pool_.size() == 1) return;
    int64_t total_rows = 0;
    for (const Tensor& w : next)
        total_rows += w.rows;
    if (product_runs_inline(total_rows, next[0].cols, inputs)) return;  // no thread will wait for it
    auto grain_of = [&](const Tensor& w) {
        return project_chunk_rows(matmul_kernel(w.dtype), w.cols, w.rows, total_rows, inputs);
    };
    int64_t chunks = 0;
    for (const Tensor& w : next) {
        const int64_t grain = grain_of(w);
        chunks += (w.rows + grain - 1) / grain;
    }
    // Chunks are numbered across the matrices in order, as project() numbers them, and start at whole
    // groups of rows, so at row * row_bytes in the interleaved layout too. Shares start in order as well.
    warm_.resize(static_cast<size_t>(pool_.size()));
    int slot = 0;
    int64_t first_chunk = 0;  // of the matrix below
    for (const Tensor& w : next) {
        const int64_t grain = grain_of(w), count = (w.rows + grain - 1) / grain;
        for (; slot < pool_.size() && pool_.first_chunk_of(slot, chunks) < first_chunk + count; ++slot) {
            const int64_t row = (pool_.first_chunk_of(slot, chunks) - first_chunk) * grain;
            warm_[static_cast<size_t>(slot)] = {
                data(w) + static_cast<size_t>(row) * w.row_bytes(),
                std::min(kWarmBytes, static_cast<size_t>(w.rows - row) * w.row_bytes())};
        }
        first_chunk += count;
    }
}

void CpuBackend::project(const Tensor& x, std::span<const Projection> products,
                         std::span<const Tensor> next) {
    // One matrix product per entry.
    struct Product {
        const MatmulKernel* kernel;
        MatmulProblem problem;
        const float* bias;
        size_t converted_offset;  // where its converted activations start in converted_inputs_
        int64_t rows, grain, first_chunk;
    };
    // The activations in each input type the kernels need (Q8_0S and Q8_K at most), converted once.
    struct Converted {
        const MatmulKernel* kernel;  // one kernel taking this input type: its convert_input
        size_t offset;               // in converted_inputs_
    };
    Converted converted[2];
    size_t converted_count = 0, converted_size = 0;
    std::vector<Product> jobs;
    jobs.reserve(products.size());
    int64_t total_rows = 0;
    for (const Projection& product : products) {
        const Tensor& w = product.weight;
        const Tensor& y = product.out;
        require(x.cols == w.cols && y.rows == x.rows && y.cols == w.rows, "matmul: shapes differ");
        if (!product.bias.empty())
            require(product.bias.cols == y.cols && product.bias.rows == 1, "matmul: bias shape differs");
        const MatmulKernel& kernel = matmul_kernel(w.dtype);
        require(kernel.interleaved_rows == interleaved(w) && (!interleaved(w) || w.offset == 0),
                "matmul: weights are not in the kernel's layout");
        Product job{&kernel, {}, product.bias.empty() ? nullptr : f32(product.bias), 0, w.rows, 0, 0};
        job.problem.weights = data(w);
        job.problem.weight_row_bytes = w.row_bytes();
        job.problem.n = x.rows;
        job.problem.k = x.cols;
        job.problem.outputs = f32(y);
        job.problem.output_stride = y.cols;
        job.problem.prefetch_ahead_bytes = prefetch_ahead_bytes_;
        job.problem.input_row_bytes = loom::row_bytes(kernel.input_type, x.cols);
        if (kernel.input_type == DType::F32) {
            job.problem.inputs = data(x);
        } else {
            size_t i = 0;
            while (i < converted_count && converted[i].kernel->input_type != kernel.input_type)
                ++i;
            if (i == converted_count) {
                require(converted_count < 2, "project: too many input types");
                converted[converted_count++] = {&kernel, converted_size};
                converted_size += job.problem.input_row_bytes * static_cast<size_t>(x.rows);
            }
            job.converted_offset = converted[i].offset;
        }
        total_rows += w.rows;
        jobs.push_back(job);
    }
    if (jobs.empty()) return;

    converted_inputs_.resize(converted_size);
    const float* src = f32(x);
    for (size_t i = 0; i < converted_count; ++i) {
        const MatmulKernel& kernel = *converted[i].kernel;
        std::byte* out = converted_inputs_.data() + converted[i].offset;
        const size_t row = loom::row_bytes(kernel.input_type, x.cols);
        for_rows(x.rows, x.cols, [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                kernel.convert_input(src + r * x.cols, x.cols, out + r * row);
        });
    }
    for (Product& job : jobs)
        if (job.kernel->input_type != DType::F32)
            job.problem.inputs = converted_inputs_.data() + job.converted_offset;

    // Chunks of rows of every matrix (project_chunk_rows); small products run on this thread alone.
    const bool small = product_runs_inline(total_rows, x.cols, x.rows);
    int64_t chunks = 0;
    for (Product& job : jobs) {
        job.grain = project_chunk_rows(*job.kernel, job.problem.k, job.rows, total_rows, x.rows);
        job.first_chunk = chunks;
        chunks += (job.rows + job.grain - 1) / job.grain;
    }
    auto run_chunks = [&](int64_t begin, int64_t end) {
        for (int64_t chunk = begin; chunk < end; ++chunk) {
            size_t j = jobs.size() - 1;
            while (jobs[j].first_chunk > chunk)
                --j;
            const Product& job = jobs[j];
            const int64_t row_begin = (chunk - job.first_chunk) * job.grain;
            const int64_t row_end = std::min(job.rows, row_begin + job.grain);
            job.kernel->rows(job.problem, row_begin, row_end);
            if (job.bias)
                for (int64_t t = 0; t < job.problem.n; ++t) {
                    float* y = job.problem.outputs + t * job.problem.output_stride;
                    for (int64_t r = row_begin; r < row_end; ++r)
                        y[r] += job.bias[r];
                }
        }
    };
    if (small) {
        run_chunks(0, chunks);
        return;
    }
    plan_warm(next, x.rows);
    pool_.parallel_for(chunks, 1, run_chunks, warm_);
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
    const VectorKernels& vec = vector_kernels();
    for_rows(x.rows, x.cols, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            vec.rms_norm(in + r * x.cols, w, x.cols, eps, out + r * x.cols);
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

const CpuBackend::RopeAngles& CpuBackend::rope_angles_for(const RopeOptions& options, int64_t rows) {
    const int64_t pairs = options.rotary_dims / 2;
    const float* inv_freq = f32(options.inv_freq);
    RopeAngles& a = rope_angles_;
    if (a.first == options.pos0 && a.rows >= rows &&
        std::equal(inv_freq, inv_freq + pairs, a.inv_freq.begin(), a.inv_freq.end()))
        return a;
    a.inv_freq.assign(inv_freq, inv_freq + pairs);
    a.first = options.pos0;
    a.rows = rows;
    a.cos.resize(static_cast<size_t>(rows * pairs));
    a.sin.resize(a.cos.size());
    const RopeRow row{inv_freq, options.rotary_dims, options.interleaved};
    for_rows(rows, pairs * 64, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            rope_angles(row, options.pos0 + r, a.cos.data() + r * pairs, a.sin.data() + r * pairs);
    });
    return a;
}

void CpuBackend::rope(const Tensor& x, const RopeOptions& options) {
    require(x.cols == int64_t{options.heads} * options.head_dim, "rope: shapes differ");
    require(options.rotary_dims <= options.head_dim && options.rotary_dims % 2 == 0, "rope: bad rotary_dims");
    require(options.inv_freq.elements() >= options.rotary_dims / 2, "rope: too few frequencies");
    const RopeRow row{f32(options.inv_freq), options.rotary_dims, options.interleaved};
    const RopeAngles& angles = rope_angles_for(options, x.rows);
    const int64_t pairs = options.rotary_dims / 2;
    float* values = f32(x);
    for_rows(x.rows, x.cols, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            for (int h = 0; h < options.heads; ++h)
                rope_rotate(values + r * x.cols + int64_t{h} * options.head_dim, row,
                            angles.cos.data() + r * pairs, angles.sin.data() + r * pairs);
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
    if (n == 1 && a.probs.empty() && pool_.size() > 1 && context >= kSplitPositionsFrom) {
        attend_by_positions(a);
        return;
    }

    const float* q = f32(a.q);
    const float* keys = f32(a.k_cache);
    const float* values = f32(a.v_cache);
    float* out = f32(a.out);
    float* probs = a.probs.empty() ? nullptr : f32(a.probs);
    const int64_t kv_stride = a.k_cache.cols;
    const int64_t group = a.heads / a.kv_heads;  // query heads per key/value head
    const VectorKernels& vec = vector_kernels();

    // The query heads that share a key/value head are computed together, a tile of positions at a time:
    // each tile of keys (then of values) comes from memory once and from L1 for every head of the group.
    // Head by head, a long context's keys and values were read `group` times from memory: at 1569
    // positions of Qwen2.5-0.5B's shape (7 query heads to a key/value head, 2 threads) that took 1.8x as
    // long.
    // A task is a key/value head for one token, or a part of its heads when there are fewer of those than
    // threads (decoding a model with few key/value heads on many cores).
    const int64_t units = int64_t{a.kv_heads} * n;  // key/value head major: neighbouring tasks share a cache
    const int64_t splits = std::min<int64_t>(group, (pool_.size() + units - 1) / units);
    const int64_t heads_per_task = (group + splits - 1) / splits;
    const int64_t tasks = units * splits;
    auto run_tasks = [&](int64_t begin, int64_t end) {
        std::vector<float> scores(static_cast<size_t>(heads_per_task * context));
        std::vector<float> partial(static_cast<size_t>(head_dim));
        for (int64_t task = begin; task < end; ++task) {
            const int64_t unit = task / splits, kv = unit / n, i = unit % n;
            const int64_t first = kv * group + (task % splits) * heads_per_task;
            const int64_t heads = std::min(heads_per_task, (kv + 1) * group - first);
            const int64_t visible = a.pos0 + i + 1;
            const float* k = keys + kv * head_dim;
            const float* v = values + kv * head_dim;
            auto query = [&](int64_t h) { return q + i * a.q.cols + (first + h) * head_dim; };
            auto output = [&](int64_t h) { return out + i * a.out.cols + (first + h) * head_dim; };
            auto score = [&](int64_t h) { return scores.data() + h * context; };

            for (int64_t t0 = 0; t0 < visible; t0 += kTile) {
                const int64_t count = std::min(kTile, visible - t0);
                for (int64_t h = 0; h < heads; ++h)
                    vec.dot_rows(query(h), k + t0 * kv_stride, kv_stride, count, head_dim, score(h) + t0);
            }
            for (int64_t h = 0; h < heads; ++h) {
                for (int64_t j = 0; j < visible; ++j)
                    score(h)[j] *= a.scale;
                vec.softmax(score(h), visible);
                std::fill(output(h), output(h) + head_dim, 0.0f);
            }
            for (int64_t t0 = 0; t0 < visible; t0 += kTile) {
                const int64_t count = std::min(kTile, visible - t0);
                for (int64_t h = 0; h < heads; ++h) {
                    vec.sum_rows(score(h) + t0, v + t0 * kv_stride, kv_stride, count, head_dim,
                                 partial.data());
                    float* o = output(h);
                    for (int64_t d = 0; d < head_dim; ++d)
                        o[d] += partial[static_cast<size_t>(d)];
                }
            }
            if (probs)
                for (int64_t h = 0; h < heads; ++h) {
                    float* row = probs + ((first + h) * n + i) * context;
                    std::copy(score(h), score(h) + visible, row);
                    std::fill(row + visible, row + context, 0.0f);
                }
        }
    };
    // A short context (a small model's first tokens) is not worth waking the other threads for.
    if (int64_t{a.heads} * n * context * head_dim < kParallelThreshold)
        run_tasks(0, tasks);
    else
        pool_.parallel_for(tasks, 1, run_tasks);
}

void CpuBackend::attend_by_positions(const AttentionOptions& a) {
    const int64_t head_dim = a.head_dim, visible = a.pos0 + 1, kv_stride = a.k_cache.cols;
    const int64_t heads = a.heads, group = a.heads / a.kv_heads;
    const float* q = f32(a.q);
    const float* keys = f32(a.k_cache);
    const float* values = f32(a.v_cache);
    const VectorKernels& vec = vector_kernels();

    // One part of whole tiles per thread. Part p: the outputs of every head over its positions, each
    // normalised by its own softmax, and the log-sum-exp of each head's scores there.
    const int parts = pool_.size();
    const int64_t tiles = (visible + kTile - 1) / kTile;
    part_outputs_.assign(static_cast<size_t>(parts * heads * head_dim), 0.0f);
    part_log_sums_.assign(static_cast<size_t>(parts * heads), -INFINITY);
    auto run_parts = [&](int64_t begin, int64_t end) {
        for (int64_t part = begin; part < end; ++part) {
            const int64_t first = tiles * part / parts * kTile;
            const int64_t last = std::min(visible, tiles * (part + 1) / parts * kTile);
            if (first >= last) continue;  // more threads than tiles: no positions, no weight
            const int64_t count = last - first;
            std::vector<float> scores(static_cast<size_t>(heads * count));
            std::vector<float> partial(static_cast<size_t>(head_dim));
            auto score = [&](int64_t h) { return scores.data() + h * count; };
            auto output = [&](int64_t h) { return part_outputs_.data() + (part * heads + h) * head_dim; };
            // Tile by tile, every key/value head of the rows in turn: the rows are read whole and once.
            for (int64_t t0 = first; t0 < last; t0 += kTile) {
                const int64_t rows = std::min(kTile, last - t0);
                for (int64_t h = 0; h < heads; ++h)
                    vec.dot_rows(q + h * head_dim, keys + t0 * kv_stride + h / group * head_dim, kv_stride,
                                 rows, head_dim, score(h) + (t0 - first));
            }
            for (int64_t h = 0; h < heads; ++h) {
                for (int64_t j = 0; j < count; ++j)
                    score(h)[j] *= a.scale;
                part_log_sums_[static_cast<size_t>(part * heads + h)] = vec.softmax(score(h), count);
            }
            for (int64_t t0 = first; t0 < last; t0 += kTile) {
                const int64_t rows = std::min(kTile, last - t0);
                for (int64_t h = 0; h < heads; ++h) {
                    vec.sum_rows(score(h) + (t0 - first), values + t0 * kv_stride + h / group * head_dim,
                                 kv_stride, rows, head_dim, partial.data());
                    float* o = output(h);
                    for (int64_t d = 0; d < head_dim; ++d)
                        o[d] += partial[static_cast<size_t>(d)];
                }
            }
        }
    };
    pool_.parallel_for(parts, 1, run_parts);

    // softmax over all positions = each part's softmax weighted by exp(its log-sum-exp - the whole's).
    float* out = f32(a.out);
    std::vector<float> weight(static_cast<size_t>(parts));
    for (int64_t h = 0; h < heads; ++h) {
        float largest = -INFINITY;
        for (int p = 0; p < parts; ++p)
            largest = std::max(largest, part_log_sums_[static_cast<size_t>(p * heads + h)]);
        float total = 0.0f;
        for (int p = 0; p < parts; ++p)
            total += weight[static_cast<size_t>(p)] =
                std::exp(part_log_sums_[static_cast<size_t>(p * heads + h)] - largest);
        float* o = out + h * head_dim;
        std::fill(o, o + head_dim, 0.0f);
        for (int p = 0; p < parts; ++p) {
            const float w = weight[static_cast<size_t>(p)] / total;
            const float* part = part_outputs_.data() + (p * heads + h) * head_dim;
            for (int64_t d = 0; d < head_dim; ++d)
                o[d] += w * part[d];
        }
    }
}

}  // namespace loom
