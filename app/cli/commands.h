// The loom-cli commands. Each takes its arguments (after the command name), prints to stdout, and throws
// loom::Error for bad input; main() turns that into a message on stderr and a non-zero exit.
#pragma once

#include <memory>
#include <string>

#include "args.h"
#include "gpu/backend_choice.h"
#include "model/model.h"

namespace loom::cli {

int generate_command(Args args);
int inspect_command(Args args);
int tokenize_command(Args args);
int bench_command(Args args);
int convert_command(Args args);
int devices_command(Args args);

// Shared by the commands: --model (a path, a snapshot, "org/name"; default: the built-in model), --threads,
// --backend. Loads the model, reporting progress on stderr when it takes a while.
struct ModelArgs {
    std::string model;
    std::string weight_type;  // --quantize: convert weights on load ("Q8_0", "Q4_0", "F16"...)
    BackendRequest backend;
};
ModelArgs take_model_args(Args& args);
LoadedModel load_model(const ModelArgs& model_args);

}  // namespace loom::cli
