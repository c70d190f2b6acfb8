#include <cstdio>

#include "api/builtin_model.h"
#include "backend/cpu_backend.h"
#include "commands.h"
#include "util/error.h"

namespace loom::cli {

ModelArgs take_model_args(Args& args) {
    ModelArgs m;
    m.model = args.value("--model", "-m").value_or("");
    m.weight_type = args.value("--quantize").value_or("");
    if (!m.weight_type.empty()) QuantScheme::parse(m.weight_type);  // an unknown name fails here, clearly
    m.backend.threads = static_cast<int>(args.integer("--threads", 0, 0, 1024, "-t"));
    m.backend.kind = parse_backend_kind(args.value("--backend").value_or("auto"));
    m.backend.vulkan.device_index = static_cast<int>(args.integer("--device", -1, -1, 64));
    return m;
}

LoadedModel load_model(const ModelArgs& m) {
    LoadOptions options;
    options.model = m.model.empty() ? builtin_model_path().string() : m.model;
    options.weight_type = m.weight_type;
    LoadedModel loaded = loom::load_model(options, m.backend);
    if (!loaded.note.empty()) std::fprintf(stderr, "loom-cli: %s\n", loaded.note.c_str());
    return loaded;
}

}  // namespace loom::cli
