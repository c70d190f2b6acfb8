// loom-cli convert: save a Hugging Face model folder as a GGUF file, optionally quantized.
#include <cstdio>

#include "api/builtin_model.h"
#include "api/gguf_export.h"
#include "commands.h"
#include "formats/hf_cache.h"
#include "util/error.h"

namespace loom::cli {

int convert_command(Args args) {
    std::string spec = args.value("--model", "-m").value_or("");
    std::optional<std::string> out = args.value("--out", "-o");
    std::optional<std::string> type = args.value("--type");
    args.finish();
    if (!out) fail("give the GGUF file to write with --out");
    std::filesystem::path source = spec.empty() ? builtin_model_path() : resolve_model_location(spec);
    GgufExportOptions options;
    if (type) options.scheme = QuantScheme::parse(*type);
    int last_percent = -1;
    options.progress = [&](double fraction) {
        int percent = static_cast<int>(fraction * 100);
        if (percent / 10 != last_percent / 10) std::fprintf(stderr, "\r%3d%%", percent);
        last_percent = percent;
        return true;
    };
    export_gguf(source, *out, options);
    std::fprintf(stderr, "\rwrote %s (%s)\n", out->c_str(),
                 type ? options.scheme->name().c_str() : "stored types");
    return 0;
}

}  // namespace loom::cli
