// loom-cli tokenize: the token ids and pieces a model's tokenizer makes of a text.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/builtin_model.h"
#include "commands.h"
#include "formats/hf_cache.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace loom::cli {

int tokenize_command(Args args) {
    std::string spec = args.value("--model", "-m").value_or("");
    std::optional<std::string> text = args.value("--text");
    if (!text) text = args.value("--prompt", "-p");
    bool no_special = args.flag("--no-special");
    bool json = args.flag("--json");
    args.finish();
    if (!text) fail("give the text to tokenize with --text");
    std::filesystem::path path = spec.empty() ? builtin_model_path() : resolve_model_location(spec);
    Tokenizer tokenizer = Tokenizer::from_hf_folder(path);
    EncodeOptions options;
    options.add_special = !no_special;
    std::vector<int32_t> ids = tokenizer.encode(*text, options);
    if (json) {
        nlohmann::json pieces = nlohmann::json::array();
        for (int32_t id : ids)
            pieces.push_back(tokenizer.piece(id));
        std::puts(nlohmann::json({{"ids", ids}, {"pieces", pieces}})
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      .c_str());
        return 0;
    }
    for (int32_t id : ids)
        std::printf("%6d  %s\n", id,
                    nlohmann::json(tokenizer.piece(id))
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                        .c_str());
    std::printf("%zu tokens\n", ids.size());
    return 0;
}

}  // namespace loom::cli
