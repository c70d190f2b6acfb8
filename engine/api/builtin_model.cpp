#include "api/builtin_model.h"

#include <cstdlib>

#include "util/error.h"

namespace loom {

namespace fs = std::filesystem;

fs::path builtin_model_path() {
    if (const char* env = std::getenv("LOOM_BUILTIN_MODEL"); env && *env) {
        if (!fs::exists(env)) fail("LOOM_BUILTIN_MODEL points to ", env, ", which does not exist");
        return env;
    }
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        fs::path installed = exe.parent_path().parent_path() / "share" / "loom" / "models" / "stories260K";
        if (fs::exists(installed / "config.json")) return installed;
    }
    fs::path source = fs::path(LOOM_SOURCE_RESOURCES_DIR) / "models" / "stories260K";
    if (fs::exists(source / "config.json")) return source;
    fail("the built-in model is missing (looked in ", exe.parent_path().parent_path().string(),
         "/share/loom/models and ", source.string(), "); reinstall Loom or pass --model");
}

}  // namespace loom
