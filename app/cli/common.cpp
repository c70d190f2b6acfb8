#include "api/builtin_model.h"
#include "backend/cpu_backend.h"
#include "commands.h"
#include "util/error.h"

namespace loom::cli {

ModelArgs take_model_args(Args& args) {
    ModelArgs m;
    m.model = args.value("--model", "-m").value_or("");
    m.threads = static_cast<int>(args.integer("--threads", 0, 0, 1024, "-t"));
    m.backend = args.value("--backend").value_or("cpu");
    if (m.backend != "cpu" && m.backend != "auto")
        fail("--backend ", m.backend, " is not available in this build (choose cpu)");
    return m;
}

std::shared_ptr<Model> load_model(const ModelArgs& m) {
    LoadOptions options;
    options.model = m.model.empty() ? builtin_model_path().string() : m.model;
    options.threads = m.threads;
    return Model::load(options);
}

}  // namespace loom::cli
