// Setting up the Vulkan backend: listing devices, choosing one, errors when there is none, device memory
// (suballocation in blocks, release only after the GPU is done), shader interfaces, and refusing a model
// that does not fit.
#include <QtTest>

#include "gpu/device_memory.h"
#include "gpu/instance.h"
#include "gpu/kernels.h"
#include "gpu/shader_table.h"
#include "gpu/spirv_interface.h"
#include "gpu_test_support.h"
#include "util/error.h"

using namespace loom;
using namespace loom::gpu;
using loom::test::ScopedEnv;

class TestVulkanDevice : public QObject {
    Q_OBJECT

  private slots:
    void listsDevices() {
        std::vector<VulkanDeviceInfo> devices = list_vulkan_devices();
        QVERIFY(!devices.empty());
        for (size_t i = 0; i < devices.size(); ++i) {
            const VulkanDeviceInfo& d = devices[i];
            QCOMPARE(d.index, int(i));
            QVERIFY(!d.name.empty());
            QVERIFY(!d.driver.empty());
            QVERIFY(!d.type.empty());
            QVERIFY(d.memory_bytes > 0);
            QVERIFY(d.usable || !d.unusable_reason.empty());
        }
    }

    // The tests run on lavapipe alone: a CPU device, which is used only when allowed or named.
    void cpuDeviceOnlyWhenAllowedOrNamed() {
        std::vector<VulkanDeviceInfo> devices = list_vulkan_devices();
        if (!std::all_of(devices.begin(), devices.end(), [](const VulkanDeviceInfo& d) { return d.is_cpu; }))
            QSKIP("a GPU is present: the CPU device would not be picked anyway");
        ScopedEnv env("LOOM_VULKAN_ALLOW_CPU", nullptr);
        try {
            make_vulkan_backend({});
            QFAIL("a CPU device was picked without being allowed");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("no Vulkan GPU") != std::string::npos, e.what());
        }
        VulkanOptions named;
        named.device_index = 0;
        QVERIFY(make_vulkan_backend(named)->name().starts_with("Vulkan: "));
        VulkanOptions allowed;
        allowed.allow_cpu_device = true;
        QVERIFY(make_vulkan_backend(allowed) != nullptr);
    }

    // The order of preference, on devices described as the driver would describe them (this machine has
    // only lavapipe): a discrete GPU, then an integrated one, a CPU device only when allowed; among devices
    // of one kind the one with the most memory; unusable ones never, unless named (then with the reason).
    void choosesTheBestDevice() {
        auto device = [](int index, VkPhysicalDeviceType type, uint64_t gib, bool usable = true) {
            PhysicalDevice d;
            d.type = type;
            d.info.index = index;
            d.info.name = "device " + std::to_string(index);
            d.info.memory_bytes = gib << 30;
            d.info.is_cpu = type == VK_PHYSICAL_DEVICE_TYPE_CPU;
            d.info.usable = usable;
            if (!usable) d.info.unusable_reason = "it supports only Vulkan 1.0; Loom needs 1.1";
            return d;
        };
        std::vector<PhysicalDevice> devices = {device(0, VK_PHYSICAL_DEVICE_TYPE_CPU, 64),
                                               device(1, VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, 32),
                                               device(2, VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 8),
                                               device(3, VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 24),
                                               device(4, VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 80, false)};
        VulkanOptions best;
        QCOMPARE(choose_device(devices, best).info.index, 3);
        devices.erase(devices.begin() + 2, devices.begin() + 4);  // no usable discrete GPU left
        QCOMPARE(choose_device(devices, best).info.index, 1);
        devices.erase(devices.begin() + 1);  // the CPU device and the unusable GPU
        QVERIFY_THROWS_EXCEPTION(Error, choose_device(devices, best));
        VulkanOptions allowed;
        allowed.allow_cpu_device = true;
        QCOMPARE(choose_device(devices, allowed).info.index, 0);
        VulkanOptions named;
        named.device_index = 1;  // the unusable one
        try {
            choose_device(devices, named);
            QFAIL("an unusable device was chosen by its index");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("only Vulkan 1.0") != std::string::npos, e.what());
        }
        devices.pop_back();
        try {
            choose_device(devices, best);
            QFAIL("a CPU device was chosen without being allowed");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("only software devices") != std::string::npos, e.what());
        }
    }

    void badDeviceIndex() {
        VulkanOptions options;
        options.device_index = 1000;
        QVERIFY_THROWS_EXCEPTION(Error, make_vulkan_backend(options));
    }

    // (The backends share one instance per process, made by the first; a new one sees the missing driver.)
    void noDriverIsAnError() {
        // Both the loader's old and new variable: a machine may set the newer one, which takes precedence.
        ScopedEnv icd("VK_ICD_FILENAMES", "/nonexistent/icd.json");
        ScopedEnv driver("VK_DRIVER_FILES", "/nonexistent/icd.json");
        QVERIFY_THROWS_EXCEPTION(Error, Instance(false).choose({}));
    }

    void refusesWeightsThatDoNotFit() {
        std::unique_ptr<Backend> backend = make_vulkan_backend({});
        backend->check_model_fits({uint64_t{1} << 20});
        try {
            backend->check_model_fits({uint64_t{1} << 50});
            QFAIL("a petabyte of weights was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("1048576 GiB") != std::string::npos, e.what());
        }
    }

    void memoryLimit() {
        VulkanOptions options;
        options.memory_limit_bytes = 1 << 20;
        std::unique_ptr<Backend> backend = make_vulkan_backend(options);
        try {
            backend->check_model_fits({2 << 20});
            QFAIL("weights above the memory limit were accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("need 2.0 MiB") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("memory limit is 1.0 MiB") != std::string::npos, e.what());
        }
        Tensor small = backend->allocate(DType::F32, 16, 1024);                     // 64 KiB
        QVERIFY_THROWS_EXCEPTION(Error, backend->allocate(DType::F32, 256, 1024));  // 1 MiB more
        QVERIFY_THROWS_EXCEPTION(Error, backend->check_model_fits({1 << 20}));
        backend->check_model_fits({512 << 10});                  // fits beside the small tensor
        Tensor more = backend->allocate(DType::F32, 128, 1024);  // and is really there: 512 KiB
        QVERIFY(!more.empty());
    }

    void impossibleAllocationIsAnError() {
        std::unique_ptr<Backend> backend = make_vulkan_backend({});
        QVERIFY_THROWS_EXCEPTION(Error, backend->allocate(DType::F32, int64_t{1} << 40, 1024));
    }

    // Tensors share blocks; memory is given back only once the GPU is done with it.
    void deviceMemorySuballocatesAndDefersRelease() {
        auto instance = Instance::shared(false);
        VulkanOptions options;
        options.allow_cpu_device = true;
        auto device = std::make_shared<Device>(instance, instance->choose(options), options);
        DeviceMemory memory(device, 0);
        std::vector<DeviceAllocation> tensors;
        for (int i = 0; i < 100; ++i)
            tensors.push_back(memory.allocate(MemoryUse::Device, 1000 + 37 * i));
        QCOMPARE(memory.block_count(), size_t{1});
        const VkDeviceSize alignment = device->capabilities().binding_alignment;
        for (size_t i = 0; i < tensors.size(); ++i) {
            QCOMPARE(tensors[i].offset % alignment, VkDeviceSize{0});
            if (i > 0) QVERIFY(tensors[i].offset >= tensors[i - 1].offset + tensors[i - 1].size);
        }
        DeviceAllocation big = memory.allocate(MemoryUse::Device, VkDeviceSize{300} << 20);  // its own block
        QCOMPARE(memory.block_count(), size_t{2});
        DeviceAllocation staging = memory.allocate(MemoryUse::Upload, 4096);
        QVERIFY(staging.mapped != nullptr);

        memory.set_recording_serial(5);
        memory.set_completed_serial(4);
        memory.release(big);  // submission 5 may still use it
        QCOMPARE(memory.block_count(), size_t{3});
        memory.set_completed_serial(5);
        QCOMPARE(memory.block_count(), size_t{2});  // its block went back to the driver

        // Freed ranges are reused.
        VkDeviceSize first = tensors[0].offset;
        memory.release(tensors[0]);
        QCOMPARE(memory.allocate(MemoryUse::Device, 1000).offset, first);
    }

    // Messages of the validation layer reach the backend (which throws them from the next read()).
    void validationErrorsAreCollected() {
        auto instance = Instance::shared(true);
        if (!instance->validation_enabled()) QSKIP("the Khronos validation layer is not installed");
        VulkanOptions options;
        options.allow_cpu_device = true;
        Device device(instance, instance->choose(options), options);
        QVERIFY(instance->take_validation_errors().empty());
        VkBufferCreateInfo create{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
        create.size = 0;  // invalid: buffers must have a size
        create.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
        VkBuffer buffer = VK_NULL_HANDLE;
        VkResult result = device.api().CreateBuffer(device.handle(), &create, nullptr, &buffer);
        if (result == VK_SUCCESS) device.api().DestroyBuffer(device.handle(), buffer, nullptr);
        QVERIFY(!instance->take_validation_errors().empty());
    }

    // Every kernel's push-constant struct matches its shader, as pipelines check at each dispatch.
    void shaderInterfacesMatchTheirStructs() {
        struct Expected {
            const char* shader;
            uint32_t bindings;
            size_t push_bytes;
        };
        const Expected expected[] = {
            {"matvec_f32", 4, sizeof(MatmulPush)},
            {"matvec_q4_0_sg", 4, sizeof(MatmulPush)},
            {"matmul_bf16", 4, sizeof(MatmulPush)},
            {"embed_q8_0", 3, sizeof(EmbedPush)},
            {"embed_q5_0", 3, sizeof(EmbedPush)},  // 22-byte blocks
            {"matvec_q6_k_sg", 4, sizeof(MatmulPush)},
            {"matmul_q3_k", 4, sizeof(MatmulPush)},
            {"add", 2, sizeof(AddPush)},
            {"add_bias", 2, sizeof(AddBiasPush)},
            {"add_rms_norm_sg", 4, sizeof(AddRmsNormPush)},
            {"swiglu", 3, sizeof(SwigluPush)},
            {"rms_norm_sg", 3, sizeof(RmsNormPush)},
            {"layer_norm", 4, sizeof(LayerNormPush)},
            {"rope_f64", 2, sizeof(RopePush)},
            {"attention_sg", 5, sizeof(AttentionPush)},
        };
        for (const Expected& e : expected) {
            ShaderInterface shader = read_shader_interface(find_shader(e.shader), e.shader);
            QVERIFY2(shader.bindings == e.bindings, e.shader);
            QVERIFY2(shader.push_constant_bytes == e.push_bytes, e.shader);
        }
        QVERIFY(find_shader("matvec_q8_k").empty());  // an activation format: no weight kernels
        std::vector<uint32_t> garbage = {1, 2, 3, 4, 5, 6};
        QVERIFY_THROWS_EXCEPTION(Error, read_shader_interface(garbage, "garbage"));
        std::vector<uint32_t> truncated(find_shader("add").begin(), find_shader("add").begin() + 7);
        truncated[5] = 0xffff0000u;  // an instruction claiming more words than there are
        QVERIFY_THROWS_EXCEPTION(Error, read_shader_interface(truncated, "truncated"));
    }
};

QTEST_APPLESS_MAIN(TestVulkanDevice)
#include "test_vulkan_device.moc"
