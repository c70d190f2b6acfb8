// loom-bench-matmul: the kernel sandbox's benchmark. Times the matrix kernels of every weight type on the
// shapes of Qwen2.5-0.5B (hidden 896, feed-forward 4864, vocabulary 151936) for one token (decode) and 128
// tokens (prefill), next to a STREAM-like measurement of this machine's memory bandwidth taken in the same
// run, and estimates whole-model tokens per second from the per-shape times.
//
//   loom-bench-matmul [--threads N] [--types Q4_0,Q8_0,...] [--levels avx2,avx512] [--n 1,128]
//                     [--seconds S] [--no-model] [--cpu-time] [--shapes 0,3] [--hot]
//
// --cpu-time (only with --threads 1) times each call by the thread's CPU time instead of wall time, which
// leaves out the time the thread was descheduled: on a machine shared with other work, this is what makes
// single-thread comparisons of kernel variants stable. (It does not remove other programs' memory traffic.)
// --hot multiplies the same weights every call, so small matrices run from the caches: the kernels' compute
// speed without the memory system.
//
// Matrices are multiplied the way the CPU backend does it (backend/cpu_backend.cpp): activations converted
// once, weight rows handed to the threads in chunks that are multiples of the kernel's row_multiple. For one
// token, the weights of every case are spread over enough copies to exceed the last-level cache, so each
// call streams its weights from memory as a real model's layers do. The machine is shared and noisy: each
// case reports the median of many calls.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/convert.h"
#include "kernels/matmul.h"
#include "kernels/quant/interleaved.h"
#include "util/cpu_features.h"
#include "util/error.h"
#include "util/prefetch.h"
#include "util/system_memory.h"
#include "util/thread_pool.h"

using namespace loom;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the calling thread, in seconds.
double thread_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

bool g_cpu_time = false;  // --cpu-time
bool g_hot = false;       // --hot

// Times fn() by wall clock, or by the thread's CPU time with --cpu-time.
template <class Fn>
double timed(Fn&& fn) {
    if (g_cpu_time) {
        double start = thread_seconds();
        fn();
        return thread_seconds() - start;
    }
    auto start = Clock::now();
    fn();
    return seconds_since(start);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// 64-byte aligned, zero-initialized (and so touched) memory.
// Zero-filled memory of the kind the CPU backend keeps weights in (2 MiB pages where granted).
struct Buffer {
    explicit Buffer(size_t bytes) : memory(bytes), size(bytes) { std::memset(memory.data(), 0, bytes); }
    std::byte* data() const { return memory.data(); }
    StreamBuffer memory;
    size_t size;
};

// ---- memory bandwidth ----------------------------------------------------------------------------------

struct Bandwidth {
    double triad_gbs;  // a[i] = b[i] + s * c[i]: 3 x 4 bytes per element (write-allocate traffic not counted)
    double read_gbs;   // sum of one array: the access pattern of streaming weights
};

Bandwidth measure_bandwidth(ThreadPool& pool, double seconds) {
    const int64_t n = int64_t{48} << 20;  // 48 Mi floats = 192 MiB per array, far beyond any cache
    Buffer a_buf(size_t(n) * 4), b_buf(size_t(n) * 4), c_buf(size_t(n) * 4);
    float* a = reinterpret_cast<float*>(a_buf.data());
    float* b = reinterpret_cast<float*>(b_buf.data());
    float* c = reinterpret_cast<float*>(c_buf.data());
    for (int64_t i = 0; i < n; ++i)
        b[i] = 1.0f, c[i] = 2.0f;
    const int64_t grain = pool.grain_for(n, 1, 4096);
    std::vector<double> triad, read;
    std::vector<float> sums(64);
    auto triad_pass = [&] {
        pool.parallel_for(n, grain, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i)
                a[i] = b[i] + 0.5f * c[i];
        });
    };
    auto read_pass = [&] {
        const int64_t chunk = (n + 63) / 64;
        pool.parallel_for(64, 1, [&](int64_t first, int64_t) {
            int64_t begin = first * chunk, end = std::min(n, begin + chunk);
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int64_t i = begin; i + 8 <= end; i += 8) {
                s0 += a[i], s1 += a[i + 1], s2 += a[i + 2], s3 += a[i + 3];
                s4 += a[i + 4], s5 += a[i + 5], s6 += a[i + 6], s7 += a[i + 7];
            }
            sums[size_t(first)] = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
        });
    };
    auto start = Clock::now();
    while (seconds_since(start) < seconds || triad.size() < 3) {
        triad.push_back(3.0 * 4.0 * double(n) / timed(triad_pass) * 1e-9);
        read.push_back(4.0 * double(n) / timed(read_pass) * 1e-9);
    }
    return {median(triad), median(read)};
}

// ---- one matrix product the way the CPU backend runs it ------------------------------------------------

struct Case {
    DType type;
    int64_t rows, k, n;
};

struct Timing {
    double seconds = 0.0;  // median per call
    double gflops = 0.0;
    double weight_gbs = 0.0;
};

Timing time_case(const MatmulKernel& kernel, const Case& c, ThreadPool& pool, double seconds) {
    const size_t weight_row = row_bytes(c.type, c.k);
    // Weights as the CPU backend holds them: stored rows, or interleaved (kernels/quant/interleaved.h).
    const size_t matrix_bytes =
        kernel.interleaved_rows ? interleaved_bytes(c.type, c.rows, c.k) : weight_row * size_t(c.rows);
    // Decode streams weights from memory: rotate over copies totalling at least 256 MiB.
    const size_t copies =
        c.n == 1 && !g_hot ? std::max<size_t>(1, (size_t{256} << 20) / matrix_bytes + 1) : 1;
    Buffer weights(matrix_bytes * copies);
    {
        std::mt19937 rng(1);
        std::normal_distribution<float> gauss(0.0f, 0.05f);
        std::vector<float> row(size_t(c.k));
        Buffer stored(weight_row * size_t(c.rows));
        for (int64_t r = 0; r < c.rows; ++r) {
            for (auto& v : row)
                v = gauss(rng);
            row_from_float(c.type, row.data(), c.k, stored.data() + size_t(r) * weight_row);
        }
        if (kernel.interleaved_rows)
            interleave_rows(c.type, stored.data(), c.rows, c.k, 0, (c.rows + 7) / 8, weights.data());
        else
            std::memcpy(weights.data(), stored.data(), matrix_bytes);
        for (size_t i = 1; i < copies; ++i)
            std::memcpy(weights.data() + i * matrix_bytes, weights.data(), matrix_bytes);
    }
    std::vector<float> x(size_t(c.n * c.k));
    std::mt19937 rng(2);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    for (auto& v : x)
        v = gauss(rng);
    const size_t input_row = row_bytes(kernel.input_type, c.k);
    Buffer converted(input_row * size_t(c.n));
    std::vector<float> y(size_t(c.n * c.rows));

    MatmulProblem p;
    p.weight_row_bytes = weight_row;
    p.n = c.n;
    p.k = c.k;
    p.outputs = y.data();
    p.output_stride = c.rows;
    p.input_row_bytes = kernel.input_type == DType::F32 ? size_t(c.k) * 4 : input_row;
    p.prefetch_ahead_bytes = prefetch_ahead_bytes();  // LOOM_PREFETCH, as in the CPU backend
    // Chunks as the CPU backend cuts them (kernels/matmul.h: chunk_rows).
    const int64_t grain = chunk_rows(kernel, c.k, c.rows, c.rows / (int64_t{pool.size()} * 4));

    std::vector<double> times;
    size_t copy = 0;
    auto start = Clock::now();
    while (seconds_since(start) < seconds || times.size() < 5) {
        times.push_back(timed([&] {
            if (kernel.input_type == DType::F32) {
                p.inputs = reinterpret_cast<const std::byte*>(x.data());
            } else {
                pool.parallel_for(c.n, 1, [&](int64_t begin, int64_t end) {
                    for (int64_t t = begin; t < end; ++t)
                        kernel.convert_input(x.data() + t * c.k, c.k,
                                             converted.data() + size_t(t) * input_row);
                });
                p.inputs = converted.data();
            }
            p.weights = weights.data() + copy * matrix_bytes;
            pool.parallel_for(c.rows, grain, [&](int64_t begin, int64_t end) { kernel.rows(p, begin, end); });
        }));
        copy = (copy + 1) % copies;
    }
    Timing t;
    t.seconds = median(times);
    t.gflops = 2.0 * double(c.rows) * double(c.k) * double(c.n) / t.seconds * 1e-9;
    t.weight_gbs = double(matrix_bytes) / t.seconds * 1e-9;
    return t;
}

// ---- the model -----------------------------------------------------------------------------------------

struct Shape {
    const char* name;
    int64_t rows, k;
    int per_layer;  // how many such matrices a layer has (0: once per model)
};

// Qwen2.5-0.5B: 24 layers; q and o are 896x896, k and v 128x896, gate and up 4864x896, down 896x4864, the
// (tied) output head 151936x896.
const Shape kShapes[] = {{"q,o 896x896", 896, 896, 2},
                         {"k,v 128x896", 128, 896, 2},
                         {"gate,up 4864x896", 4864, 896, 2},
                         {"down 896x4864", 896, 4864, 1},
                         {"head 151936x896", 151936, 896, 0}};
constexpr int kLayers = 24;

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        if (comma > start) parts.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return parts;
}

struct Options {
    int threads = 2;
    std::vector<DType> types = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0,
                                DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q2_K, DType::Q3_K,
                                DType::Q4_K, DType::Q5_K, DType::Q6_K};
    std::vector<KernelLevel> levels;
    std::vector<int64_t> ns = {1, 128};
    double seconds = 0.3;
    bool model = true;
    std::vector<int> shapes = {0, 1, 2, 3, 4};  // indices into kShapes
};

Options parse(int argc, char** argv) {
    Options o;
    o.levels = {best_kernel_level()};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) fail("option ", arg, " needs a value");
            return argv[++i];
        };
        if (arg == "--threads") {
            o.threads = std::atoi(value().c_str());
        } else if (arg == "--types") {
            o.types.clear();
            for (const std::string& name : split(value())) {
                auto type = dtype_from_name(name);
                if (!type) fail("unknown type '", name, "'");
                o.types.push_back(*type);
            }
        } else if (arg == "--levels") {
            o.levels.clear();
            for (const std::string& name : split(value())) {
                if (name == "scalar")
                    o.levels.push_back(KernelLevel::Scalar);
                else if (name == "avx2")
                    o.levels.push_back(KernelLevel::Avx2);
                else if (name == "avx512")
                    o.levels.push_back(KernelLevel::Avx512);
                else
                    fail("unknown level '", name, "' (scalar, avx2, avx512)");
                if (o.levels.back() > best_kernel_level()) fail("this CPU cannot run level ", name);
            }
        } else if (arg == "--n") {
            o.ns.clear();
            for (const std::string& n : split(value()))
                o.ns.push_back(std::atoll(n.c_str()));
        } else if (arg == "--seconds") {
            o.seconds = std::atof(value().c_str());
        } else if (arg == "--shapes") {
            o.shapes.clear();
            for (const std::string& index : split(value())) {
                int i = std::atoi(index.c_str());
                if (i < 0 || i >= int(std::size(kShapes)))
                    fail("--shapes takes indices 0..", std::size(kShapes) - 1);
                o.shapes.push_back(i);
            }
        } else if (arg == "--hot") {
            g_hot = true;
        } else if (arg == "--cpu-time") {
            g_cpu_time = true;
        } else if (arg == "--no-model") {
            o.model = false;
        } else {
            fail("unknown option ", arg, " (see the comment at the top of bench_matmul.cpp)");
        }
    }
    if (o.threads < 1) fail("--threads must be at least 1");
    if (g_cpu_time && o.threads != 1) fail("--cpu-time measures one thread: use it with --threads 1");
    return o;
}

bool fits(DType type, int64_t k) {
    return k % dtype_info(type).block_elements == 0;
}

// Q4_K_M as llama.cpp builds it for this model: the 896-wide matrices cannot hold 256-element blocks and fall
// back (Q4_K -> Q5_0, Q6_K -> Q8_0); attn_v and ffn_down get Q6_K in about half of the layers; the output
// head (tied to the embedding) Q6_K -> Q8_0.
struct MixPart {
    int shape;  // index into kShapes
    DType type;
    double matrices_per_layer;  // or per model for the head
};
const MixPart kQ4KM[] = {{0, DType::Q5_0, 2.0}, {1, DType::Q5_0, 1.5}, {1, DType::Q8_0, 0.5},
                         {2, DType::Q5_0, 2.0}, {3, DType::Q4_K, 0.5}, {3, DType::Q6_K, 0.5},
                         {4, DType::Q8_0, 1.0}};

}  // namespace

int main(int argc, char** argv) {
    try {
        Options options = parse(argc, argv);
        ThreadPool pool(options.threads);
        std::printf("CPU: %s; %d thread%s\n", cpu_features().describe().c_str(), options.threads,
                    options.threads == 1 ? "" : "s");
        Bandwidth bw = measure_bandwidth(pool, 1.0);
        std::printf("memory bandwidth: triad %.1f GB/s, read-only %.1f GB/s (medians)\n\n", bw.triad_gbs,
                    bw.read_gbs);
        std::printf("%-6s %-7s %-18s %5s %10s %9s %9s %9s\n", "type", "level", "shape", "n", "time(us)",
                    "GFLOP/s", "weightGB/s", "of triad");

        // time per (level, type, shape index, n)
        std::map<std::tuple<int, int, int, int64_t>, double> times;
        for (KernelLevel level : options.levels)
            for (DType type : options.types) {
                const MatmulKernel* kernel = nullptr;
                try {
                    kernel = &matmul_kernel(type, level);
                } catch (const Error&) {
                    continue;
                }
                for (int s : options.shapes) {
                    const Shape& shape = kShapes[s];
                    if (!fits(type, shape.k)) continue;
                    for (int64_t n : options.ns) {
                        Timing t = time_case(*kernel, {type, shape.rows, shape.k, n}, pool, options.seconds);
                        times[{int(level), int(type), s, n}] = t.seconds;
                        std::printf("%-6s %-7s %-18s %5lld %10.1f %9.1f %9.2f",
                                    std::string(dtype_name(type)).c_str(), kernel_level_name(kernel->level),
                                    shape.name, static_cast<long long>(n), t.seconds * 1e6, t.gflops,
                                    t.weight_gbs);
                        if (n == 1) std::printf(" %8.0f%%", 100.0 * t.weight_gbs / bw.triad_gbs);
                        std::printf("\n");
                        std::fflush(stdout);
                    }
                }
            }

        if (!options.model) return 0;
        // Whole-model estimates: matrix products only (attention, norms and thread wake-ups add to a real
        // token). Decode: one token through every matrix. Prefill of 128 tokens: every layer matrix at
        // n = 128, the output head once (generation needs only the last token's logits).
        std::printf("\nwhole-model estimate (matrix products only), Qwen2.5-0.5B shapes, %d layers\n",
                    kLayers);
        std::printf("%-7s %-7s %12s %12s %14s %14s\n", "type", "level", "decode tok/s", "bound tok/s",
                    "prefill tok/s", "weights MB");
        auto model_line = [&](const char* name, KernelLevel level, auto parts) {
            double decode = 0.0, prefill = 0.0, bytes = 0.0;
            bool complete = true;
            for (const MixPart& part : parts) {
                const Shape& shape = kShapes[part.shape];
                double count = shape.per_layer ? part.matrices_per_layer * kLayers : part.matrices_per_layer;
                auto one = times.find({int(level), int(part.type), part.shape, 1});
                auto many = times.find({int(level), int(part.type), part.shape, 128});
                if (one == times.end()) {
                    complete = false;
                    break;
                }
                decode += count * one->second;
                prefill += shape.per_layer ? (many == times.end() ? NAN : count * many->second)
                                           : count * one->second;
                bytes += count * double(row_bytes(part.type, shape.k)) * double(shape.rows);
            }
            if (!complete) return;
            std::printf("%-7s %-7s %12.1f %12.1f %14.1f %14.1f\n", name, kernel_level_name(level),
                        1.0 / decode, bw.triad_gbs * 1e9 / bytes, 128.0 / prefill, bytes * 1e-6);
        };
        for (KernelLevel level : options.levels) {
            for (DType type : options.types) {
                if (!fits(type, 896)) continue;
                std::vector<MixPart> uniform;
                for (int s = 0; s < int(std::size(kShapes)); ++s)
                    uniform.push_back({s, type, double(kShapes[s].per_layer ? kShapes[s].per_layer : 1)});
                model_line(std::string(dtype_name(type)).c_str(), level, uniform);
            }
            model_line("Q4_K_M", level, std::vector<MixPart>(std::begin(kQ4KM), std::end(kQ4KM)));
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loom-bench-matmul: %s\n", e.what());
        return 1;
    }
}
