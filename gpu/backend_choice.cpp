#include "gpu/backend_choice.h"

#include "backend/cpu_backend.h"
#include "util/error.h"

namespace loom {

BackendKind parse_backend_kind(std::string_view name) {
    if (name == "auto") return BackendKind::Auto;
    if (name == "cpu") return BackendKind::Cpu;
    if (name == "vulkan") return BackendKind::Vulkan;
    fail("unknown backend '", std::string(name), "' (choose auto, cpu or vulkan)");
}

const char* backend_kind_name(BackendKind kind) {
    switch (kind) {
        case BackendKind::Auto:
            return "auto";
        case BackendKind::Cpu:
            return "cpu";
        case BackendKind::Vulkan:
            return "vulkan";
    }
    return "?";
}

LoadedModel load_model(LoadOptions options, const BackendRequest& request) {
    LoadedModel loaded;
    auto on_cpu = [&] {
        options.backend = nullptr;
        options.threads = request.threads;
        loaded.model = Model::load(options);
        return loaded;
    };
    if (request.kind == BackendKind::Cpu) return on_cpu();

    VulkanOptions vulkan = request.vulkan;
    if (request.kind == BackendKind::Vulkan) vulkan.allow_cpu_device = true;
    try {
        options.backend = make_vulkan_backend(vulkan);
    } catch (const Error& e) {
        // With "auto", a machine without a GPU is the ordinary case: no note.
        if (request.kind == BackendKind::Vulkan)
            loaded.note = std::string("Vulkan is not available: ") + e.what();
        return on_cpu();
    }
    try {
        loaded.model = Model::load(options);
        options.model = loaded.model->path().string();  // the files just loaded, however they were named
        options.backend = nullptr;
        options.progress = nullptr;  // the caller's, for this load only
        options.threads = request.threads;
        loaded.load_on_cpu = [options] { return Model::load(options); };
        return loaded;
    } catch (const Error& e) {
        // Was it the model, or the device? A model that fails on the CPU too reports its own error.
        loaded.note =
            std::string("the model could not be put on the GPU (") + e.what() + "); running on the CPU";
        return on_cpu();
    }
}

}  // namespace loom
