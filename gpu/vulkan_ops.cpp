// The operations of the Vulkan backend: each checks its shapes as the CPU backend does, binds its tensors
// (splitting them into pieces of rows where they exceed what one descriptor can bind) and records
// dispatches of its kernel from shaders/.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "gpu/kernels.h"
#include "gpu/vulkan_backend_impl.h"
#include "util/error.h"

namespace loom::gpu {

namespace {

void require(bool condition, const char* what) {
    if (!condition) fail("Vulkan backend: ", what);
}

void require_f32(std::initializer_list<const Tensor*> tensors, const char* op) {
    for (const Tensor* t : tensors)
        if (t->dtype != DType::F32)
            fail("Vulkan backend: ", op, " takes F32 tensors, not ", dtype_name(t->dtype));
}

uint32_t u32(int64_t value) {
    if (value < 0 || value > int64_t{UINT32_MAX})
        fail("Vulkan backend: ", value, " does not fit the kernels' 32-bit indices");
    return static_cast<uint32_t>(value);
}

int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

}  // namespace

// --- element-wise ---

void VulkanBackend::add(const Tensor& y, const Tensor& x) {
    stream_->submit_if_due();
    require(x.rows == y.rows && x.cols == y.cols, "add: shapes differ");
    require_f32({&y, &x}, "add");
    const Pipeline& pipeline = pipelines_->get("add");
    for_row_chunks(y.rows, {y.row_bytes()}, [&](int64_t first, int64_t rows) {
        Bound yb = bind_rows(y, first, rows), xb = bind_rows(x, first, rows);
        AddPush push{yb.floats(), xb.floats(), u32(rows * y.cols)};
        stream_->dispatch(pipeline, {updates(yb.range), reads(xb.range)}, push,
                          flat_grid(ceil_div(rows * y.cols, kElementwiseGroup), device_->capabilities()));
    });
}

void VulkanBackend::add_bias(const Tensor& y, const Tensor& bias) {
    stream_->submit_if_due();
    require(bias.cols == y.cols && bias.rows == 1, "add_bias: shapes differ");
    require_f32({&y, &bias}, "add_bias");
    const Pipeline& pipeline = pipelines_->get("add_bias");
    Bound bb = bind(bias);
    for_row_chunks(y.rows, {y.row_bytes()}, [&](int64_t first, int64_t rows) {
        Bound yb = bind_rows(y, first, rows);
        AddBiasPush push{yb.floats(), bb.floats(), u32(y.cols), u32(rows * y.cols)};
        stream_->dispatch(pipeline, {updates(yb.range), reads(bb.range)}, push,
                          flat_grid(ceil_div(rows * y.cols, kElementwiseGroup), device_->capabilities()));
    });
}

void VulkanBackend::swiglu(const Tensor& gate, const Tensor& up, const Tensor& out) {
    stream_->submit_if_due();
    require(gate.rows == up.rows && gate.cols == up.cols && out.rows == gate.rows && out.cols == gate.cols,
            "swiglu: shapes differ");
    require_f32({&gate, &up, &out}, "swiglu");
    const Pipeline& pipeline = pipelines_->get("swiglu");
    for_row_chunks(gate.rows, {gate.row_bytes()}, [&](int64_t first, int64_t rows) {
        Bound gb = bind_rows(gate, first, rows), ub = bind_rows(up, first, rows),
              ob = bind_rows(out, first, rows);
        SwigluPush push{gb.floats(), ub.floats(), ob.floats(), u32(rows * gate.cols)};
        stream_->dispatch(pipeline, {reads(gb.range), reads(ub.range), writes(ob.range)}, push,
                          flat_grid(ceil_div(rows * gate.cols, kElementwiseGroup), device_->capabilities()));
    });
}

// --- norms ---

void VulkanBackend::rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& y) {
    stream_->submit_if_due();
    require(x.rows == y.rows && x.cols == y.cols && weight.cols == x.cols, "rms_norm: shapes differ");
    require_f32({&x, &weight, &y}, "rms_norm");
    const Pipeline& pipeline = reducing_pipeline("rms_norm");
    Bound wb = bind(weight);
    for_row_chunks(x.rows, {x.row_bytes()}, [&](int64_t first, int64_t rows) {
        Bound xb = bind_rows(x, first, rows), yb = bind_rows(y, first, rows);
        RmsNormPush push{xb.floats(), wb.floats(), yb.floats(), u32(x.cols), u32(rows), eps};
        stream_->dispatch(pipeline, {reads(xb.range), reads(wb.range), writes(yb.range)}, push,
                          flat_grid(rows, device_->capabilities()));
    });
}

void VulkanBackend::add_rms_norm(const Tensor& x, const Tensor& delta, const Tensor& weight, float eps,
                                 const Tensor& y) {
    stream_->submit_if_due();
    require(x.rows == y.rows && x.cols == y.cols && weight.cols == x.cols && delta.rows == x.rows &&
                delta.cols == x.cols,
            "add_rms_norm: shapes differ");
    require_f32({&x, &delta, &weight, &y}, "add_rms_norm");
    const Pipeline& pipeline = reducing_pipeline("add_rms_norm");
    Bound wb = bind(weight);
    for_row_chunks(x.rows, {x.row_bytes()}, [&](int64_t first, int64_t rows) {
        Bound xb = bind_rows(x, first, rows), yb = bind_rows(y, first, rows),
              db = bind_rows(delta, first, rows);
        AddRmsNormPush push{{xb.floats(), wb.floats(), yb.floats(), u32(x.cols), u32(rows), eps},
                            db.floats()};
        stream_->dispatch(pipeline, {updates(xb.range), reads(wb.range), writes(yb.range), reads(db.range)},
                          push, flat_grid(rows, device_->capabilities()));
    });
}

void VulkanBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                               const Tensor& y) {
    stream_->submit_if_due();
    require(x.rows == y.rows && x.cols == y.cols && weight.cols == x.cols, "layer_norm: shapes differ");
    require(bias.empty() || bias.cols == x.cols, "layer_norm: bias shape differs");
    require_f32({&x, &weight, &y}, "layer_norm");
    if (!bias.empty()) require_f32({&bias}, "layer_norm");
    const Pipeline& pipeline = reducing_pipeline("layer_norm");
    Bound wb = bind(weight);
    Bound bb = bias.empty() ? wb : bind(bias);  // without a bias the kernel never reads binding 2
    for_row_chunks(x.rows, {x.row_bytes()}, [&](int64_t first, int64_t rows) {
        Bound xb = bind_rows(x, first, rows), yb = bind_rows(y, first, rows);
        LayerNormPush push{.x_offset = xb.floats(),
                           .weight_offset = wb.floats(),
                           .bias_offset = bb.floats(),
                           .y_offset = yb.floats(),
                           .cols = u32(x.cols),
                           .rows = u32(rows),
                           .has_bias = bias.empty() ? 0u : 1u,
                           .eps = eps};
        stream_->dispatch(pipeline, {reads(xb.range), reads(wb.range), reads(bb.range), writes(yb.range)},
                          push, flat_grid(rows, device_->capabilities()));
    });
}

// --- rotary positions ---

void VulkanBackend::rope(const Tensor& x, const RopeOptions& o) {
    stream_->submit_if_due();
    require(x.cols == int64_t{o.heads} * o.head_dim, "rope: shapes differ");
    require(o.rotary_dims <= o.head_dim && o.rotary_dims % 2 == 0 && o.rotary_dims >= 0,
            "rope: bad rotary_dims");
    require_f32({&x, &o.inv_freq}, "rope");
    require(o.inv_freq.elements() >= o.rotary_dims / 2, "rope: inv_freq is shorter than rotary_dims / 2");
    if (o.pos0 < 0 || o.pos0 + x.rows > int64_t{UINT32_MAX})
        fail("rope: position ", o.pos0 + x.rows, " is out of range");
    if (o.rotary_dims == 0 || x.rows == 0) return;
    const Pipeline& pipeline = pipelines_->get(device_->capabilities().float64 ? "rope_f64" : "rope");
    Bound fb = bind(o.inv_freq);
    for_row_chunks(x.rows, {x.row_bytes()}, [&](int64_t first, int64_t rows) {
        Bound xb = bind_rows(x, first, rows);
        int64_t pairs = o.rotary_dims / 2;
        RopePush push{.x_offset = xb.floats(),
                      .freq_offset = fb.floats(),
                      .rows = u32(rows),
                      .heads = u32(o.heads),
                      .head_dim = u32(o.head_dim),
                      .pairs = u32(pairs),
                      .interleaved = o.interleaved ? 1u : 0u,
                      .pos0 = u32(o.pos0 + first)};
        stream_->dispatch(
            pipeline, {updates(xb.range), reads(fb.range)}, push,
            flat_grid(ceil_div(rows * o.heads * pairs, kElementwiseGroup), device_->capabilities()));
    });
}

// --- matrices ---

void VulkanBackend::embed(const Tensor& table, std::span<const int32_t> tokens, const Tensor& out) {
    stream_->submit_if_due();
    const int64_t n = static_cast<int64_t>(tokens.size());
    require(out.rows == n && out.cols == table.cols, "embed: shapes differ");
    require_f32({&out}, "embed");
    for (int32_t token : tokens)
        if (token < 0 || token >= table.rows)
            fail("token id ", token, " is outside the vocabulary (", table.rows, ")");
    if (n == 0) return;
    const Pipeline& pipeline = pipelines_->get(weight_kernel("embed", table.dtype));
    const DeviceCapabilities& caps = device_->capabilities();

    StagingSlice ids = stream_->stage(tokens.size_bytes());
    std::memcpy(ids.host, tokens.data(), tokens.size_bytes());
    // A table too large for one binding is bound a piece of rows at a time; each piece fills the tokens
    // whose rows it holds, and pieces holding none are skipped.
    const int64_t table_piece = rows_per_binding(table.row_bytes());
    const int64_t token_piece = std::min<int64_t>(rows_per_binding(out.row_bytes()), caps.max_workgroups_y);
    for (int64_t t0 = 0; t0 < n; t0 += token_piece) {
        int64_t count = std::min(token_piece, n - t0);
        Bound ob = bind_rows(out, t0, count);
        for (int64_t r0 = 0; r0 < table.rows; r0 += table_piece) {
            int64_t rows = std::min(table_piece, table.rows - r0);
            bool used = std::any_of(tokens.begin() + t0, tokens.begin() + t0 + count,
                                    [&](int32_t token) { return token >= r0 && token < r0 + rows; });
            if (!used) continue;
            Bound tb = bind_rows(table, r0, rows);
            EmbedPush push{.w_offset = tb.offset,
                           .w_row_bytes = u32(table.row_bytes()),
                           .first_row = u32(r0),
                           .row_count = u32(rows),
                           .cols = u32(table.cols),
                           .tokens_offset = u32(t0),
                           .out_offset = ob.floats(),
                           .out_stride = u32(out.cols)};
            WorkGroups groups{u32(ceil_div(table.cols, kEmbedGroup)), u32(count), 1};
            stream_->dispatch(pipeline, {reads(tb.range), reads(ids.range), writes(ob.range)}, push, groups);
        }
    }
}

void VulkanBackend::matmul(const Tensor& x, const Tensor& w, const Tensor& y) {
    matmul_bias(x, w, Tensor{}, y);
}

// The bias (when not empty) is added as each output is written.
void VulkanBackend::matmul_bias(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) {
    stream_->submit_if_due();
    require(x.cols == w.cols && y.rows == x.rows && y.cols == w.rows, "matmul: shapes differ");
    require_f32({&x, &y}, "matmul");
    const bool has_bias = !bias.empty();
    if (has_bias) {
        require(bias.rows == 1 && bias.cols == w.rows, "matmul_bias: the bias is not one row of the output");
        require_f32({&bias}, "matmul_bias");
    }
    const int64_t n = x.rows, m = w.rows;
    if (n == 0 || m == 0) return;
    // A few tokens (decode): rows computed by subgroups or work groups, token after token (matvec). More
    // (prefill): tiles that use each weight for many tokens (matmul).
    const bool few_tokens = n <= kMatvecMaxTokens;
    const Pipeline& pipeline = few_tokens ? reducing_pipeline(weight_kernel("matvec", w.dtype))
                                          : pipelines_->get(weight_kernel("matmul", w.dtype));
    const DeviceCapabilities& caps = device_->capabilities();
    // A CPU device (lavapipe) runs a work group on one thread, where barriers are dear and parallelism is
    // the threads': it always gets a subgroup per row.
    const bool subgroup_rows = caps.subgroups && (m >= kMatvecTallRows || caps.cpu_layouts);
    const int64_t matvec_rows_per_group =
        subgroup_rows ? std::max<int64_t>(kMatvecGroup / std::max<uint32_t>(caps.subgroup_size, 1), 1) : 1;

    // Weights too large for one binding are bound a piece of rows at a time, each piece computing its
    // columns of y; likewise long batches of x and y.
    int64_t weight_piece = rows_per_binding(w.row_bytes());
    int64_t token_piece = std::min(rows_per_binding(x.row_bytes()), rows_per_binding(y.row_bytes()));
    if (!few_tokens) {
        weight_piece = std::min<int64_t>(weight_piece, int64_t{caps.max_workgroups_x} * kMatmulTile);
        token_piece = std::min<int64_t>(token_piece, int64_t{caps.max_workgroups_y} * kMatmulTile);
    }
    for (int64_t t0 = 0; t0 < n; t0 += token_piece) {
        int64_t tokens = std::min(token_piece, n - t0);
        Bound xb = bind_rows(x, t0, tokens), yb = bind_rows(y, t0, tokens);
        Bound bb = has_bias ? bind(bias) : xb;  // without a bias, any buffer fills the binding
        for (int64_t r0 = 0; r0 < m; r0 += weight_piece) {
            int64_t rows = std::min(weight_piece, m - r0);
            Bound wb = bind_rows(w, r0, rows);
            MatmulPush push{.w_offset = wb.offset,
                            .w_row_bytes = u32(w.row_bytes()),
                            .x_offset = xb.floats(),
                            .x_stride = u32(x.cols),
                            .y_offset = yb.floats() + u32(r0),  // this piece's columns of y
                            .y_stride = u32(y.cols),
                            .k = u32(x.cols),
                            .rows = u32(rows),
                            .tokens = u32(tokens),
                            .rows_per_group = u32(matvec_rows_per_group),
                            .bias_offset = bb.floats() + u32(r0),  // this piece's rows of the bias
                            .has_bias = has_bias ? 1u : 0u};
            WorkGroups groups = few_tokens ? flat_grid(ceil_div(rows, matvec_rows_per_group), caps)
                                           : WorkGroups{u32(ceil_div(rows, kMatmulTile)),
                                                        u32(ceil_div(tokens, kMatmulTile)), 1};
            stream_->dispatch(pipeline, {reads(wb.range), reads(xb.range), writes(yb.range), reads(bb.range)},
                              push, groups);
        }
    }
}

// --- attention ---

void VulkanBackend::attention(const AttentionOptions& a) {
    stream_->submit_if_due();
    const int64_t n = a.q.rows, head_dim = a.head_dim, context = a.pos0 + n;
    require(a.q.cols == int64_t{a.heads} * head_dim && a.out.rows == n && a.out.cols == a.q.cols,
            "attention: query/output shapes differ");
    require(a.kv_heads > 0 && a.heads % a.kv_heads == 0, "attention: heads must be a multiple of kv_heads");
    require(a.k_cache.cols == int64_t{a.kv_heads} * head_dim && a.v_cache.cols == a.k_cache.cols &&
                a.k_cache.rows >= context && a.v_cache.rows >= context && a.pos0 >= 0,
            "attention: cache shapes differ");
    require_f32({&a.q, &a.k_cache, &a.v_cache, &a.out}, "attention");
    const bool want_probs = !a.probs.empty();
    if (want_probs) {
        require(a.probs.rows == int64_t{a.heads} * n && a.probs.cols == context,
                "attention: probs shape differs");
        require_f32({&a.probs}, "attention");
    }
    if (head_dim > kAttentionMaxHeadDim || head_dim <= 0)
        fail_device("the Vulkan backend's attention handles heads of up to ", kAttentionMaxHeadDim,
                    " dimensions, not ", head_dim);
    if (n == 0) return;
    if (rows_per_binding(a.k_cache.row_bytes()) < context)
        fail_device("attention over ", context, " positions: the key/value cache (",
                    size_text(static_cast<uint64_t>(context) * a.k_cache.row_bytes()),
                    " per layer) exceeds what the Vulkan device can bind at once; use a shorter context");
    const Pipeline& pipeline = reducing_pipeline("attention");
    const DeviceCapabilities& caps = device_->capabilities();

    // Dispatches cover a group of heads and a range of tokens. Without probabilities, all heads and as many
    // tokens as q and out can bind. Probabilities are [heads * n, context], head-major: all of them if they
    // fit one binding, else groups of whole heads, else one head and a range of tokens at a time, so that
    // each dispatch's rows of them are contiguous.
    int64_t token_piece = std::min({n, rows_per_binding(a.q.row_bytes()), rows_per_binding(a.out.row_bytes()),
                                    int64_t{caps.max_workgroups_x}});
    int64_t head_piece = std::min<int64_t>(a.heads, caps.max_workgroups_y);
    if (want_probs) {
        int64_t probs_rows = rows_per_binding(a.probs.row_bytes());
        if (token_piece == n && probs_rows >= n) {
            head_piece = std::min(head_piece, probs_rows / n);
        } else {
            head_piece = 1;
            token_piece = std::min(token_piece, probs_rows);
        }
    }
    Bound kb = bind_rows(a.k_cache, 0, context), vb = bind_rows(a.v_cache, 0, context);
    for (int64_t h0 = 0; h0 < a.heads; h0 += head_piece) {
        int64_t heads = std::min(head_piece, a.heads - h0);
        for (int64_t t0 = 0; t0 < n; t0 += token_piece) {
            int64_t tokens = std::min(token_piece, n - t0);
            Bound qb = bind_rows(a.q, t0, tokens), ob = bind_rows(a.out, t0, tokens);
            // Rows h0 * n + t0 .. of the probabilities: whole heads (t0 = 0, tokens = n) or part of one.
            Bound pb = want_probs ? bind_rows(a.probs, h0 * n + t0, (heads - 1) * n + tokens) : qb;
            AttentionPush push{.q_offset = qb.floats(),
                               .k_offset = kb.floats(),
                               .v_offset = vb.floats(),
                               .out_offset = ob.floats(),
                               .probs_offset = pb.floats(),
                               .row_stride = u32(a.q.cols),
                               .kv_stride = u32(a.k_cache.cols),
                               .head_dim = u32(head_dim),
                               .group = u32(a.heads / a.kv_heads),
                               .head_begin = u32(h0),
                               .pos0 = u32(a.pos0 + t0),
                               .probs_head_rows = u32(n),
                               .probs_cols = u32(context),
                               .write_probs = want_probs ? 1u : 0u,
                               .scale = a.scale};
            stream_->dispatch(pipeline,
                              {reads(qb.range), reads(kb.range), reads(vb.range), writes(ob.range),
                               want_probs ? writes(pb.range) : reads(pb.range)},
                              push, WorkGroups{u32(tokens), u32(heads), 1});
        }
    }
}

// --- benchmarks ---

double VulkanBackend::measure_memory_bandwidth() {
    // Reads of a buffer several times larger than any GPU cache, as many passes per timing as make about
    // 50 ms, so that submitting and waiting are a small part of it. Only reads count: decode reads weights.
    const VkDeviceSize bytes =
        std::min<VkDeviceSize>(VkDeviceSize{1} << 30, device_->capabilities().max_binding_bytes) &
        ~VkDeviceSize{15};
    DeviceAllocation data = memory_->allocate(MemoryUse::Device, bytes);
    DeviceAllocation folded =
        memory_->allocate(MemoryUse::Device, kStreamReadGroups * kStreamReadGroupSize * sizeof(uint32_t));
    stream_->fill_zero(data.range());
    const Pipeline& pipeline = pipelines_->get("stream_read");
    StreamReadPush push{.count = u32(bytes / 16)};
    auto seconds_for = [&](int passes) {
        stream_->finish();
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < passes; ++i)
            stream_->dispatch(pipeline, {reads(data.range()), writes(folded.range())}, push,
                              WorkGroups{u32(kStreamReadGroups), 1, 1});
        stream_->finish();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    seconds_for(1);  // first use: the pipeline, the driver's caches
    int passes = static_cast<int>(std::clamp(0.05 / std::max(seconds_for(1), 1e-6), 2.0, 1000.0));
    double best = 0;
    for (int repeat = 0; repeat < 3; ++repeat)
        best = std::max(best, static_cast<double>(bytes) * passes / seconds_for(passes));
    memory_->release(data);
    memory_->release(folded);
    return best;
}

}  // namespace loom::gpu
