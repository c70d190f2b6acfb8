// loom-cli: run and inspect language models from the command line.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "model/weights.h"
#include "util/error.h"

namespace {

const char* kUsage = R"(usage: loom-cli <command> [options]

commands:
  generate   stream a continuation of a prompt
             --model M  --prompt TEXT  --max-tokens N (256)  --temperature T (0 = greedy)
             --top-k K (40)  --top-p P (0.95)  --min-p P (0.05)  --repeat-penalty R (1 = off)
             --seed S (random)  --threads N (all cores)  --json (one JSON object per token)
  convert    save a model folder as GGUF   --model M  --out FILE.gguf  [--type Q8_0|Q4_0|Q4_K_M|F16|...]
  devices    the CPU's kernels and the Vulkan devices Loom can use
  inspect    architecture, parameters, types, tokenizer and tensors of a model   --model M  [--brief]
  tokenize   token ids and pieces of a text   --model M  --text TEXT  [--no-special] [--json]
  bench      prefill and decode speed   --model M  -p PROMPT_TOKENS (128)  -n GEN_TOKENS (64)  -t THREADS
             -r REPETITIONS (3)  [--profile: decode time by step of the forward pass]
             bench --write-model DIR|FILE.gguf [--dtype bf16|f16|f32|q8_0|q4_0|q4_k_m|...]: write the random
             Qwen2.5-0.5B-shaped benchmark model (a folder of safetensors, or a GGUF file)

options of generate and bench:
  --backend auto|cpu|vulkan (auto: a GPU when there is one)  --device N (a Vulkan device, see `devices`)
  --quantize TYPE: convert the weights on load (Q8_0, Q4_0, Q4_K_M, F16, ...)

--model takes a model folder, a Hugging Face cache snapshot, or org/name from the Hugging Face cache
($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub); without it, the built-in stories260K model.
)";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
        std::strcmp(argv[1], "help") == 0) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    std::string command = argv[1];
    std::vector<std::string> arguments(argv + 2, argv + argc);
    // `loom-cli generate --help`: the usage, which lists every command's options. (Only right after the
    // command: later, "--help" may be the value of an option, such as a prompt.)
    if (!arguments.empty() && (arguments[0] == "--help" || arguments[0] == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    loom::cli::Args args(std::move(arguments));
    try {
        if (command == "generate") return loom::cli::generate_command(std::move(args));
        if (command == "inspect") return loom::cli::inspect_command(std::move(args));
        if (command == "tokenize") return loom::cli::tokenize_command(std::move(args));
        if (command == "bench") return loom::cli::bench_command(std::move(args));
        if (command == "convert") return loom::cli::convert_command(std::move(args));
        if (command == "devices") return loom::cli::devices_command(std::move(args));
        std::fprintf(stderr, "loom-cli: unknown command '%s'\n\n%s", command.c_str(), kUsage);
        return 1;
    } catch (const loom::Error& e) {
        std::fprintf(stderr, "loom-cli %s: %s\n", command.c_str(), e.what());
        return 1;
    } catch (const loom::Cancelled&) {
        std::fprintf(stderr, "loom-cli %s: cancelled\n", command.c_str());
        return 130;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "loom-cli %s: out of memory\n", command.c_str());
        return 1;
    }
}
