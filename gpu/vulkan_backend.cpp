// The Vulkan backend: setup, tensor memory and transfers between host and device. The operations are in
// vulkan_ops.cpp.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "gpu/pipeline_cache_file.h"
#include "gpu/vulkan_backend_impl.h"
#include "kernels/convert.h"
#include "util/error.h"

namespace loom {

namespace {

// Staging arena per frame (uploads travel through it in pieces of this size) and the largest readback area.
constexpr VkDeviceSize kStagingBytes = VkDeviceSize{64} << 20;
constexpr VkDeviceSize kMaxReadbackBytes = VkDeviceSize{64} << 20;

bool env_flag(const char* name) {
    const char* value = std::getenv(name);
    return value && std::string_view(value) != "" && std::string_view(value) != "0";
}

// A size in bytes from the environment, with an optional K, M or G (binary); 0 when unset.
uint64_t env_bytes(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value) return 0;
    char* end = nullptr;
    errno = 0;
    const unsigned long long number = std::strtoull(value, &end, 10);
    int shift = 0;
    switch (*end) {
        case 'K':
        case 'k':
            shift = 10;
            ++end;
            break;
        case 'M':
        case 'm':
            shift = 20;
            ++end;
            break;
        case 'G':
        case 'g':
            shift = 30;
            ++end;
            break;
        default:
            break;
    }
    if (errno != 0 || end == value || *end != '\0' || number == 0 || number > (uint64_t{1} << (60 - shift)))
        fail(name, "='", value, "' is not a size: give bytes, or a number with K, M or G (e.g. 4G)");
    return uint64_t{number} << shift;
}

VulkanOptions with_environment(VulkanOptions options) {
    if (env_flag("LOOM_VULKAN_ALLOW_CPU")) options.allow_cpu_device = true;
    if (env_flag("LOOM_VULKAN_VALIDATION")) options.validation = true;
    if (uint64_t limit = env_bytes("LOOM_VULKAN_MEMORY_LIMIT")) options.memory_limit_bytes = limit;
    if (uint64_t binding = env_bytes("LOOM_VULKAN_MAX_BINDING")) options.max_binding_bytes = binding;
    if (const char* folder = std::getenv("LOOM_VULKAN_PIPELINE_CACHE"); folder && *folder) {
        options.pipeline_cache_on_disk = std::string_view(folder) != "0";
        options.pipeline_cache_folder = options.pipeline_cache_on_disk ? folder : "";
    }
    return options;
}

}  // namespace

std::vector<VulkanDeviceInfo> list_vulkan_devices() {
    std::vector<VulkanDeviceInfo> devices;
    for (const gpu::PhysicalDevice& device : gpu::Instance::shared(false)->devices())
        devices.push_back(device.info);
    return devices;
}

std::unique_ptr<Backend> make_vulkan_backend(const VulkanOptions& options) {
    return std::make_unique<gpu::VulkanBackend>(with_environment(options));
}

namespace gpu {

VulkanBackend::VulkanBackend(const VulkanOptions& options) {
    instance_ = Instance::shared(options.validation);
    const PhysicalDevice& physical = instance_->choose(options);
    device_ = std::make_shared<Device>(instance_, physical, options);
    memory_ = std::make_shared<DeviceMemory>(device_, options.memory_limit_bytes);
    pipelines_ = std::make_unique<PipelineCache>(device_, pipeline_cache_file(options, physical));
    stream_ = std::make_unique<CommandStream>(device_, memory_, kStagingBytes);
}

VulkanBackend::~VulkanBackend() {
    memory_->release(readback_);
    stream_.reset();  // waits for the GPU; frees what was waiting for it
}

std::string VulkanBackend::name() const {
    const VulkanDeviceInfo& info = device_->physical().info;
    return cat("Vulkan: ", info.name, " (", info.driver, ")");
}

void VulkanBackend::check_model_fits(const ModelFootprint& footprint) {
    Device::HeapSpace space =
        device_->heap_space(memory_->heap(MemoryUse::Device), memory_->allocated_bytes(MemoryUse::Device));
    const std::string& device = device_->physical().info.name;
    const uint64_t bytes = footprint.total();
    if (bytes > memory_->device_room())
        fail_device(
            footprint.text(), " of GPU memory, but Loom may use only ", size_text(memory_->device_room()),
            " more of the Vulkan device '", device, "' (its memory limit is ",
            size_text(memory_->device_limit()),
            "). Raise the limit, choose a smaller or more strongly quantized model, or run it on the CPU");
    // Space left inside Loom's own blocks counts as free too.
    uint64_t available = space.available + memory_->unused_bytes(MemoryUse::Device);
    if (bytes > available)
        fail_device(footprint.text(), " of GPU memory, but the Vulkan device '", device, "' has only ",
                    size_text(available), " free (of ", size_text(space.size),
                    "). Choose a smaller or more strongly quantized model, or run it on the CPU");
}

// --- tensor memory ---

const TensorBuffer& VulkanBackend::storage(const Tensor& tensor) const {
    if (!tensor.storage) fail("Vulkan backend: the tensor has no storage");
    if (tensor.storage->owner() != this) fail("Vulkan backend: the tensor belongs to another backend");
    const auto& buffer = static_cast<const TensorBuffer&>(*tensor.storage);
    if (tensor.offset + tensor.bytes() > buffer.allocation().size)
        fail("Vulkan backend: a tensor view reaches past the end of its storage");
    return buffer;
}

int64_t VulkanBackend::rows_per_binding(size_t row_bytes) const {
    const DeviceCapabilities& caps = device_->capabilities();
    // A binding may start up to (alignment - 1) bytes before the rows and is rounded up to whole words.
    VkDeviceSize usable = caps.max_binding_bytes - caps.binding_alignment - 4;
    if (row_bytes > usable)
        fail("a tensor row of ", row_bytes, " bytes is larger than the Vulkan device can bind (",
             caps.max_binding_bytes, " bytes)");
    return static_cast<int64_t>(usable / std::max<size_t>(row_bytes, 1));
}

VulkanBackend::Bound VulkanBackend::bind_rows(const Tensor& tensor, int64_t first, int64_t count) const {
    const DeviceAllocation& allocation = storage(tensor).allocation();
    const VkDeviceSize alignment = device_->capabilities().binding_alignment;
    VkDeviceSize start =
        allocation.offset + tensor.offset + static_cast<VkDeviceSize>(first) * tensor.row_bytes();
    VkDeviceSize end = start + static_cast<VkDeviceSize>(count) * tensor.row_bytes();
    VkDeviceSize base = start / alignment * alignment;
    VkDeviceSize size = std::max<VkDeviceSize>((end - base + 3) / 4 * 4, 4);
    size = std::min(size, allocation.offset + allocation.size - base);  // allocations end on whole words
    if (size > device_->capabilities().max_binding_bytes)
        fail("Vulkan backend: binding ", size, " bytes at once exceeds the device's limit");  // callers split
    return {{allocation.buffer, base, size}, static_cast<uint32_t>(start - base)};
}

BufferRange VulkanBackend::byte_range(const Tensor& tensor, int64_t first, int64_t count) const {
    const DeviceAllocation& allocation = storage(tensor).allocation();
    VkDeviceSize start =
        allocation.offset + tensor.offset + static_cast<VkDeviceSize>(first) * tensor.row_bytes();
    return {allocation.buffer, start, static_cast<VkDeviceSize>(count) * tensor.row_bytes()};
}

Tensor VulkanBackend::allocate(DType dtype, int64_t rows, int64_t cols) {
    if (rows < 0 || cols < 0 || !row_fits_blocks(dtype, cols))
        fail("cannot allocate a ", dtype_name(dtype), " tensor of ", rows, " x ", cols);
    Tensor t;
    t.dtype = dtype;
    t.rows = rows;
    t.cols = cols;
    DeviceAllocation allocation = memory_->allocate(MemoryUse::Device, t.bytes());
    t.storage = std::make_shared<TensorBuffer>(this, memory_, allocation);
    stream_->fill_zero(allocation.range());
    return t;
}

Tensor VulkanBackend::upload(const HostTensor& host) {
    if (host.rows < 0 || host.cols < 0 || !row_fits_blocks(host.dtype, host.cols) ||
        host.bytes.size() != static_cast<size_t>(host.rows) * row_bytes(host.dtype, host.cols))
        fail("Vulkan backend: the host tensor's size does not match its shape");
    Tensor t;
    t.dtype = host.dtype;
    t.rows = host.rows;
    t.cols = host.cols;
    DeviceAllocation allocation = memory_->allocate(MemoryUse::Device, t.bytes());
    t.storage = std::make_shared<TensorBuffer>(this, memory_, allocation);
    // Through the staging arenas, a piece at a time: the host fills one while the GPU copies the other.
    for (size_t done = 0; done < host.bytes.size();) {
        size_t piece = std::min<size_t>(host.bytes.size() - done, stream_->staging_capacity());
        StagingSlice slice = stream_->stage(piece);
        std::memcpy(slice.host, host.bytes.data() + done, piece);
        stream_->copy({slice.range.buffer, slice.range.offset, piece},
                      {allocation.buffer, allocation.offset + done, piece});
        done += piece;
    }
    return t;
}

void VulkanBackend::write(const Tensor& tensor, std::span<const float> values) {
    if (values.size() != static_cast<size_t>(tensor.elements()))
        fail("write: the number of values does not match the tensor");
    const std::byte* bytes = reinterpret_cast<const std::byte*>(values.data());
    if (tensor.dtype != DType::F32) {
        scratch_.resize(tensor.bytes());
        for (int64_t r = 0; r < tensor.rows; ++r)
            row_from_float(tensor.dtype, values.data() + r * tensor.cols, tensor.cols,
                           scratch_.data() + r * tensor.row_bytes());
        bytes = scratch_.data();
    }
    BufferRange destination = byte_range(tensor, 0, tensor.rows);
    for (size_t done = 0; done < destination.size;) {
        size_t piece = std::min<size_t>(destination.size - done, stream_->staging_capacity());
        StagingSlice slice = stream_->stage(piece);
        std::memcpy(slice.host, bytes + done, piece);
        stream_->copy({slice.range.buffer, slice.range.offset, piece},
                      {destination.buffer, destination.offset + done, piece});
        done += piece;
    }
}

void VulkanBackend::read(const Tensor& tensor, std::span<float> out) {
    if (out.size() != static_cast<size_t>(tensor.elements()))
        fail("read: the output size does not match the tensor");
    if (tensor.rows == 0 || tensor.cols == 0) return;
    const size_t row_bytes = tensor.row_bytes();
    VkDeviceSize wanted =
        std::max<VkDeviceSize>(row_bytes, std::min<VkDeviceSize>(tensor.bytes(), kMaxReadbackBytes));
    if (!readback_ || readback_.size < wanted) {
        memory_->release(readback_);
        readback_ = {};
        readback_ = memory_->allocate(MemoryUse::Readback, wanted);
    }
    const int64_t rows_per_piece = static_cast<int64_t>(readback_.size / row_bytes);
    for (int64_t first = 0; first < tensor.rows; first += rows_per_piece) {
        int64_t count = std::min(rows_per_piece, tensor.rows - first);
        BufferRange source = byte_range(tensor, first, count);
        stream_->copy(source, {readback_.buffer, readback_.offset, source.size});
        stream_->finish();
        for (int64_t r = 0; r < count; ++r)
            row_to_float(tensor.dtype, readback_.mapped + r * row_bytes, tensor.cols,
                         out.data() + (first + r) * tensor.cols);
    }
}

void VulkanBackend::copy_rows(const Tensor& src, const Tensor& dst, int64_t dst_row) {
    stream_->submit_if_due();
    if (src.cols != dst.cols || dst_row < 0 || dst_row + src.rows > dst.rows)
        fail("copy_rows: ", src.rows, " rows of ", src.cols, " do not fit at row ", dst_row, " of a ",
             dst.rows, " x ", dst.cols, " tensor");
    if (src.dtype != dst.dtype)
        fail("copy_rows: the Vulkan backend copies only between tensors of one type (", dtype_name(src.dtype),
             " to ", dtype_name(dst.dtype), " is not supported)");
    stream_->copy(byte_range(src, 0, src.rows), byte_range(dst, dst_row, src.rows));
}

const Pipeline& VulkanBackend::reducing_pipeline(std::string_view kernel) {
    if (device_->capabilities().subgroups) return pipelines_->get(cat(kernel, "_sg"));
    return pipelines_->get(kernel);
}

std::string VulkanBackend::weight_kernel(std::string_view kernel, DType type) const {
    std::string suffix(dtype_name(type));
    std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    std::string name = cat(kernel, "_", suffix);
    if (!PipelineCache::has(name))
        fail("the Vulkan backend cannot compute with ", dtype_name(type),
             " weights yet; use the CPU backend");
    return name;
}

}  // namespace gpu

}  // namespace loom
