// The Vulkan compute backend: the Backend interface (engine/backend/backend.h) on a GPU.
//
// Weights are copied to device memory once, when uploaded; activations and the KV cache live there too.
// Operations are recorded into a command buffer and submitted when the host needs a result (read()), so a
// whole forward pass, and generation from token to token, stays on the device.
//
// Everything that can go wrong when setting it up (no Vulkan loader, no suitable device, a device lost,
// memory exhausted, an operation it cannot do) is reported as loom::Error, so that the caller can fall back
// to the CPU backend.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace loom {

struct VulkanOptions {
    // Index into list_vulkan_devices(); -1 picks the best device: a discrete GPU, then an integrated one.
    int device_index = -1;
    // Whether a software device (a CPU one such as Mesa's lavapipe) may be picked when there is no GPU. It is
    // much slower than Loom's CPU backend, so it is only for testing; the environment variable
    // LOOM_VULKAN_ALLOW_CPU=1 allows it too. A device chosen by index is always allowed.
    bool allow_cpu_device = false;
    // The most device memory Loom's tensors may take (0: as much as the device has), for sharing the GPU
    // with other programs. Models that do not fit are refused before they are uploaded.
    uint64_t memory_limit_bytes = 0;
    // Enables the Khronos validation layer when it is installed (also LOOM_VULKAN_VALIDATION=1); its error
    // messages are then thrown as Errors from the next read().
    bool validation = false;
    // Compiled pipelines are kept on disk between runs, so that a second run on the same device and driver
    // does not compile every shader again: in `pipeline_cache_folder`, or when it is empty in the user's
    // cache folder ($XDG_CACHE_HOME/loom/vulkan, else ~/.cache/loom/vulkan). false keeps them in memory
    // only. LOOM_VULKAN_PIPELINE_CACHE=<folder> sets the folder, =0 turns the disk cache off.
    bool pipeline_cache_on_disk = true;
    std::string pipeline_cache_folder;

    // --- for tests and troubleshooting ---
    // Use subgroup operations in reductions when the device has them (false: shared memory only).
    bool use_subgroups = true;
    // Compute RoPE angles in double precision when the device has shaderFloat64.
    bool use_float64 = true;
    // When non-zero, bind at most this many bytes of a buffer per descriptor, below the device's own limit
    // (maxStorageBufferRange), to exercise the splitting of large tensors with small ones.
    uint64_t max_binding_bytes = 0;
    // On a CPU device, lay kernels out for it (matvec: a subgroup per row, no barriers); false runs the
    // layouts a GPU gets, so that tests cover them on lavapipe.
    bool cpu_device_layouts = true;
};

struct VulkanDeviceInfo {
    int index = 0;                // what VulkanOptions::device_index takes
    std::string name;             // "NVIDIA GeForce RTX 4070"
    std::string type;             // "discrete GPU", "integrated GPU", "virtual GPU", "CPU", "other"
    bool is_cpu = false;          // a software implementation (lavapipe, SwiftShader)
    uint64_t memory_bytes = 0;    // the largest device-local memory heap
    std::string driver;           // "NVIDIA 550.54.14", "llvmpipe (Mesa 22.3.6 (LLVM 15.0.6))"
    std::string api_version;      // "1.3.230"
    bool usable = false;          // whether Loom can compute on it
    std::string unusable_reason;  // why not, when !usable
};

// Every Vulkan device of the machine, for the app's settings and the CLI. Throws Error when Vulkan itself
// is not available (no loader, no driver).
std::vector<VulkanDeviceInfo> list_vulkan_devices();

// A Vulkan backend on the device the options choose. Throws Error when there is no suitable device or it
// cannot be set up; the message says which and why.
std::unique_ptr<Backend> make_vulkan_backend(const VulkanOptions& options = {});

}  // namespace loom
