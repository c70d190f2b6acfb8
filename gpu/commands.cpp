#include "gpu/commands.h"

#include <algorithm>
#include <string>

#include "util/error.h"

namespace loom::gpu {

namespace {

// Descriptor sets per pool; a frame takes more pools when a long prefill records more dispatches.
constexpr uint32_t kSetsPerPool = 512;
constexpr uint32_t kDescriptorsPerSet = 6;  // the most bindings a kernel has, with room to spare
// How long to wait for the GPU before declaring it hung. Long: a software device running a large prefill
// is slow, not hung.
constexpr uint64_t kFenceTimeoutNs = 600'000'000'000ull;

// submit_if_due() submits a frame that holds this many dispatches, so that the GPU starts on the first
// layers of a forward pass while the host records the next ones, instead of waiting for the whole of it.
constexpr uint32_t kDispatchesPerSubmit = 64;

constexpr VkPipelineStageFlags kWorkStages =
    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;

}  // namespace

WorkGroups flat_grid(uint64_t groups, const DeviceCapabilities& caps) {
    WorkGroups grid;
    grid.x = static_cast<uint32_t>(std::clamp<uint64_t>(groups, 1, caps.max_workgroups_x));
    uint64_t rows = (groups + grid.x - 1) / grid.x;
    if (rows > caps.max_workgroups_y)
        fail_device("a dispatch of ", groups, " work groups exceeds the device's limits");
    grid.y = static_cast<uint32_t>(std::max<uint64_t>(rows, 1));
    return grid;
}

CommandStream::CommandStream(std::shared_ptr<Device> device, std::shared_ptr<DeviceMemory> memory,
                             VkDeviceSize staging_bytes)
    : device_(std::move(device)), memory_(std::move(memory)) {
    const DeviceFunctions& vk = device_->api();
    for (Frame& frame : frames_) {
        VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
        pool.queueFamilyIndex = device_->queue_family();
        check(vk.CreateCommandPool(device_->handle(), &pool, nullptr, &frame.pool),
              "creating a command pool");
        VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        allocate.commandPool = frame.pool;
        allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        allocate.commandBufferCount = 1;
        check(vk.AllocateCommandBuffers(device_->handle(), &allocate, &frame.commands),
              "allocating a command buffer");
        VkFenceCreateInfo fence{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        check(vk.CreateFence(device_->handle(), &fence, nullptr, &frame.fence), "creating a fence");
        frame.staging = std::make_unique<StagingArena>(memory_, staging_bytes);
    }
    profiler_ = KernelProfiler::from_environment(device_, frames_.size());
    begin_frame(current());
}

CommandStream::~CommandStream() {
    const DeviceFunctions& vk = device_->api();
    vk.DeviceWaitIdle(device_->handle());
    profiler_.reset();
    // Every submission is over: nothing recorded will run, so pending releases can go.
    memory_->set_completed_serial(next_serial_);
    memory_->set_recording_serial(next_serial_);
    for (Frame& frame : frames_) {
        for (VkDescriptorPool pool : frame.descriptor_pools)
            vk.DestroyDescriptorPool(device_->handle(), pool, nullptr);
        vk.DestroyFence(device_->handle(), frame.fence, nullptr);
        vk.DestroyCommandPool(device_->handle(), frame.pool, nullptr);
        frame.staging.reset();
    }
}

void CommandStream::begin_frame(Frame& frame) {
    const DeviceFunctions& vk = device_->api();
    check(vk.ResetCommandPool(device_->handle(), frame.pool, 0), "resetting a command pool");
    for (VkDescriptorPool pool : frame.descriptor_pools)
        check(vk.ResetDescriptorPool(device_->handle(), pool, 0), "resetting a descriptor pool");
    frame.descriptor_pool = 0;
    frame.staging->reset();
    frame.serial = next_serial_++;
    frame.recorded = false;
    frame.dispatches = 0;
    memory_->set_recording_serial(frame.serial);

    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vk.BeginCommandBuffer(frame.commands, &begin), "recording commands");
    if (profiler_) profiler_->begin_frame(index_of(frame), frame.commands);
    // Orders this frame's work after everything submitted before it.
    touched_.clear();
    barrier();
}

void CommandStream::barrier() {
    VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    memory.srcAccessMask =
        VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT;
    memory.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                           VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    device_->api().CmdPipelineBarrier(current().commands, kWorkStages | VK_PIPELINE_STAGE_HOST_BIT,
                                      kWorkStages, 0, 1, &memory, 0, nullptr, 0, nullptr);
    touched_.clear();
}

void CommandStream::order_after_earlier(std::initializer_list<Binding> bindings) {
    bool conflict = false;
    for (const Binding& binding : bindings) {
        const BufferRange& r = binding.range;
        bool writes = binding.access != Access::Read;
        for (const Touched& t : touched_)
            if (t.buffer == r.buffer && t.begin < r.offset + r.size && r.offset < t.end &&
                (t.written || writes))
                conflict = true;
    }
    if (conflict) barrier();
    for (const Binding& binding : bindings)
        touched_.push_back({binding.range.buffer, binding.range.offset,
                            binding.range.offset + binding.range.size, binding.access != Access::Read});
}

VkDescriptorSet CommandStream::allocate_descriptor_set(const Pipeline& pipeline) {
    const DeviceFunctions& vk = device_->api();
    Frame& frame = current();
    VkDescriptorSetLayout layout = pipeline.set_layout();
    VkDescriptorSetAllocateInfo allocate{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    allocate.descriptorSetCount = 1;
    allocate.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    while (true) {
        if (frame.descriptor_pool == frame.descriptor_pools.size()) {
            VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kDescriptorsPerSet};
            VkDescriptorPoolCreateInfo create{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
            create.maxSets = kSetsPerPool;
            create.poolSizeCount = 1;
            create.pPoolSizes = &size;
            VkDescriptorPool pool = VK_NULL_HANDLE;
            check(vk.CreateDescriptorPool(device_->handle(), &create, nullptr, &pool),
                  "creating a descriptor pool");
            frame.descriptor_pools.push_back(pool);
        }
        allocate.descriptorPool = frame.descriptor_pools[frame.descriptor_pool];
        VkResult result = vk.AllocateDescriptorSets(device_->handle(), &allocate, &set);
        if (result == VK_SUCCESS) return set;
        if (result != VK_ERROR_OUT_OF_POOL_MEMORY && result != VK_ERROR_FRAGMENTED_POOL)
            check(result, "allocating a descriptor set");
        ++frame.descriptor_pool;  // this pool is full: the next one
    }
}

void CommandStream::dispatch_raw(const Pipeline& pipeline, std::initializer_list<Binding> bindings,
                                 const void* push, uint32_t push_bytes, WorkGroups groups) {
    ensure_working();
    if (bindings.size() != pipeline.bindings() || push_bytes != pipeline.push_constant_bytes())
        fail("kernel ", pipeline.name(), " was given ", bindings.size(), " buffers and ", push_bytes,
             " bytes of push constants; its shader declares ", pipeline.bindings(), " and ",
             pipeline.push_constant_bytes());
    const DeviceCapabilities& caps = device_->capabilities();
    if (groups.x == 0 || groups.y == 0 || groups.z == 0) return;  // nothing to do
    if (groups.x > caps.max_workgroups_x || groups.y > caps.max_workgroups_y)
        fail("kernel ", pipeline.name(), ": ", groups.x, " x ", groups.y,
             " work groups exceed the device's limits");

    const DeviceFunctions& vk = device_->api();
    VkDescriptorSet set = allocate_descriptor_set(pipeline);
    std::vector<VkDescriptorBufferInfo> infos;
    std::vector<VkWriteDescriptorSet> writes;
    infos.reserve(bindings.size());
    for (const Binding& binding : bindings) {
        if (binding.range.size > caps.max_binding_bytes)
            fail("kernel ", pipeline.name(), ": a binding of ", binding.range.size,
                 " bytes exceeds the device's limit");
        infos.push_back({binding.range.buffer, binding.range.offset, binding.range.size});
        VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        write.dstSet = set;
        write.dstBinding = static_cast<uint32_t>(writes.size());
        write.descriptorCount = 1;
        write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        write.pBufferInfo = &infos.back();
        writes.push_back(write);
    }
    vk.UpdateDescriptorSets(device_->handle(), static_cast<uint32_t>(writes.size()), writes.data(), 0,
                            nullptr);

    order_after_earlier(bindings);
    VkCommandBuffer commands = current().commands;
    vk.CmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
    vk.CmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1, &set, 0,
                             nullptr);
    if (push_bytes > 0)
        vk.CmdPushConstants(commands, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
    vk.CmdDispatch(commands, groups.x, groups.y, groups.z);
    if (profiler_) profiler_->after_command(current_, commands, pipeline.name());
    current().recorded = true;
    ++current().dispatches;
}

void CommandStream::copy(const BufferRange& source, const BufferRange& destination) {
    ensure_working();
    if (source.size != destination.size)
        fail("copying ", source.size, " bytes into a range of ", destination.size);
    if (source.size == 0) return;
    order_after_earlier({reads(source), writes(destination)});
    VkBufferCopy region{source.offset, destination.offset, source.size};
    device_->api().CmdCopyBuffer(current().commands, source.buffer, destination.buffer, 1, &region);
    if (profiler_) profiler_->after_command(current_, current().commands, "copy");
    current().recorded = true;
}

void CommandStream::fill_zero(const BufferRange& destination) {
    ensure_working();
    if (destination.size == 0) return;
    order_after_earlier({writes(destination)});
    device_->api().CmdFillBuffer(current().commands, destination.buffer, destination.offset, destination.size,
                                 0);
    if (profiler_) profiler_->after_command(current_, current().commands, "fill_zero");
    current().recorded = true;
}

VkDeviceSize CommandStream::staging_capacity() const {
    return frames_[current_].staging->capacity();
}

StagingSlice CommandStream::stage(VkDeviceSize bytes) {
    ensure_working();
    if (bytes > staging_capacity()) fail("staging ", bytes, " bytes at once exceeds the staging arena");
    if (auto slice = current().staging->take(bytes)) return *slice;
    submit();  // the next frame's arena is empty
    return *current().staging->take(bytes);
}

void CommandStream::ensure_working() const {
    if (!failure_.empty())
        fail_device("the GPU backend stopped working after an earlier error (", failure_,
                    "). Reload the model, or use the CPU backend");
}

template <class Fn>
void CommandStream::guarded(Fn&& step) {
    ensure_working();
    try {
        step();
    } catch (const Error& e) {
        failure_ = e.what();
        throw;
    }
}

void CommandStream::submit_if_due() {
    if (current().dispatches >= kDispatchesPerSubmit) submit();
}

void CommandStream::submit() {
    guarded([&] { submit_frame(); });
}

void CommandStream::submit_frame() {
    const DeviceFunctions& vk = device_->api();
    Frame& frame = current();
    if (frame.recorded) {
        // Makes the results visible to the host once the fence has signalled.
        VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        memory.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
        memory.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
        vk.CmdPipelineBarrier(frame.commands, kWorkStages, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &memory, 0,
                              nullptr, 0, nullptr);
    }
    check(vk.EndCommandBuffer(frame.commands), "recording commands");
    if (frame.recorded) {
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &frame.commands;
        check(vk.ResetFences(device_->handle(), 1, &frame.fence), "resetting a fence");
        check(vk.QueueSubmit(device_->queue(), 1, &submit, frame.fence), "submitting work to the GPU");
        frame.in_flight = true;
    }
    current_ = (current_ + 1) % frames_.size();
    wait(current());
    begin_frame(current());
}

void CommandStream::wait(Frame& frame) {
    if (!frame.in_flight) return;
    const DeviceFunctions& vk = device_->api();
    VkResult result = vk.WaitForFences(device_->handle(), 1, &frame.fence, VK_TRUE, kFenceTimeoutNs);
    if (result == VK_TIMEOUT)
        fail_device("the GPU did not finish its work within ", kFenceTimeoutNs / 1'000'000'000, " seconds");
    check(result, "waiting for the GPU");
    frame.in_flight = false;
    memory_->set_completed_serial(frame.serial);
    if (profiler_) profiler_->frame_completed(index_of(frame));
}

void CommandStream::finish() {
    guarded([&] {
        size_t last = current_;
        submit_frame();
        // Frames complete in submission order: the other frame (submitted earlier, if at all) first.
        for (size_t i = 1; i <= frames_.size(); ++i)
            wait(frames_[(last + i) % frames_.size()]);
    });
    // Every submission before the frame now recording is complete, empty ones included.
    memory_->set_completed_serial(current().serial - 1);
    std::vector<std::string> errors = device_->instance().take_validation_errors();
    if (!errors.empty()) {
        std::string text;
        for (const std::string& e : errors)
            text += "\n  " + e;
        fail("Vulkan validation reported errors:", text);
    }
}

}  // namespace loom::gpu
