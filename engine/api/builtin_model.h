// The small model Loom ships with (stories260K), used when no model is named.
#pragma once

#include <filesystem>

namespace loom {

// $LOOM_BUILTIN_MODEL if set; else <dir of the executable>/../share/loom/models/stories260K (an installed
// Loom); else the source tree's resources/models/stories260K (a development build). Throws Error if none
// exists.
std::filesystem::path builtin_model_path();

}  // namespace loom
