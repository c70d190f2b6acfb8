// Choosing where a model runs: the Vulkan backend when asked for (or, with "auto", when the machine has a
// GPU), else the CPU; and falling back to the CPU, with a message saying why, whenever Vulkan cannot be
// used (no driver, no device, a model too big for device memory, a device lost while uploading). A model
// that does run on the GPU comes with a way to load it on the CPU, for sessions whose GPU fails later.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gpu/vulkan_backend.h"
#include "model/model.h"

namespace loom {

enum class BackendKind { Auto, Cpu, Vulkan };

// "auto", "cpu" or "vulkan"; throws Error for anything else.
BackendKind parse_backend_kind(std::string_view name);
const char* backend_kind_name(BackendKind kind);

struct BackendRequest {
    BackendKind kind = BackendKind::Auto;
    int threads = 0;  // CPU threads, 0: one per core
    // For Vulkan. With kind Vulkan a software device (lavapipe) is accepted when it is the only one, since
    // the user asked for Vulkan by name; with Auto only real GPUs are.
    VulkanOptions vulkan;
};

struct LoadedModel {
    std::shared_ptr<Model> model;
    // Empty when the model runs where it was asked to; otherwise why it runs on the CPU instead.
    std::string note;
    // For a model on the GPU: loads the same model (same files and weight types) on the CPU, for when the
    // GPU fails while the model runs (SessionOptions::on_device_failure). Empty for a model on the CPU.
    std::function<std::shared_ptr<Model>()> load_on_cpu;
};

// Loads options.model on the requested backend (options.backend and options.threads are replaced),
// retrying on the CPU if the Vulkan backend cannot be made or the model cannot be put on it. Errors of the
// model itself (missing files, unsupported architecture) are thrown as they are, and Cancelled too.
LoadedModel load_model(LoadOptions options, const BackendRequest& request);

}  // namespace loom
