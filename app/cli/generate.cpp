// loom-cli generate: stream a model's continuation of a prompt to stdout.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "api/generate.h"
#include "commands.h"
#include "util/error.h"

namespace loom::cli {

namespace {

nlohmann::json token_json(const Tokenizer& tokenizer, const GeneratedToken& token) {
    nlohmann::json top = nlohmann::json::array();
    for (const TokenProbability& alt : token.top)
        top.push_back({{"id", alt.id}, {"text", tokenizer.token_text(alt.id)}, {"logprob", alt.logprob}});
    return {
        {"type", "token"}, {"id", token.id}, {"text", token.text}, {"logprob", token.logprob}, {"top", top}};
}

}  // namespace

int generate_command(Args args) {
    ModelArgs model_args = take_model_args(args);
    std::string prompt = args.value("--prompt", "-p").value_or("");
    GenerateOptions options;
    options.max_tokens = static_cast<int>(args.integer("--max-tokens", 256, 0, 1 << 20, "-n"));
    SamplingOptions& s = options.sampling;
    s.temperature = static_cast<float>(args.number("--temperature", 0.0, 0.0, 100.0));
    s.top_k = static_cast<int>(args.integer("--top-k", 40, 0, 1 << 30));
    s.top_p = static_cast<float>(args.number("--top-p", 0.95, 0.0, 1.0));
    s.min_p = static_cast<float>(args.number("--min-p", 0.05, 0.0, 1.0));
    s.repeat_penalty = static_cast<float>(args.number("--repeat-penalty", 1.0, 0.0, 100.0));
    int64_t seed = args.integer("--seed", -1, -1, INT64_MAX);  // -1: a random seed, printed at the end
    bool json = args.flag("--json");
    args.finish();
    s.seed = seed >= 0 ? static_cast<uint64_t>(seed) : std::random_device{}();
    s.validate();
    if (json) options.top_logprobs = 5;

    LoadedModel loaded = load_model(model_args);
    std::shared_ptr<Model> model = loaded.model;
    const Tokenizer& tokenizer = model->tokenizer();
    std::vector<int32_t> prompt_ids = tokenizer.encode(prompt);
    if (prompt_ids.empty()) {
        if (!tokenizer.special().bos)
            fail("the prompt is empty and this model has no BOS token to start from: give --prompt");
        prompt_ids.push_back(*tokenizer.special().bos);
    }

    SessionOptions session_options;
    session_options.on_device_failure = [&](const DeviceFailure& failure) -> std::shared_ptr<const Model> {
        if (!loaded.load_on_cpu) return nullptr;
        std::fprintf(stderr, "\nloom-cli: %s\nloom-cli: going on on the CPU\n", failure.what());
        return loaded.load_on_cpu();
    };
    Session session(model, session_options);
    if (!json) {
        std::fputs(prompt.c_str(), stdout);
        std::fflush(stdout);
    }
    GenerationStats stats = generate(session, prompt_ids, options, [&](const GeneratedToken& token) {
        if (json)
            std::puts(token_json(tokenizer, token)
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                          .c_str());
        else
            std::fputs(token.text.c_str(), stdout);
        std::fflush(stdout);
        return true;
    });
    if (json) {
        nlohmann::json done = {{"type", "done"},
                               {"stop_reason", stop_reason_name(stats.reason)},
                               {"prompt_tokens", stats.prompt_tokens},
                               {"generated_tokens", stats.generated_tokens},
                               {"prompt_tokens_per_second", stats.prompt_tokens_per_second()},
                               {"generated_tokens_per_second", stats.generated_tokens_per_second()},
                               {"seed", s.seed}};
        std::puts(done.dump().c_str());
    } else {
        std::fputs(stats.trailing_text.c_str(), stdout);
        std::fputs("\n", stdout);
        std::fflush(stdout);  // the text before the figures when both go to one file or pipe
        std::fprintf(stderr,
                     "[%lld prompt tokens at %.1f tok/s, %lld generated at %.1f tok/s, %s; seed %llu]\n",
                     static_cast<long long>(stats.prompt_tokens), stats.prompt_tokens_per_second(),
                     static_cast<long long>(stats.generated_tokens), stats.generated_tokens_per_second(),
                     stop_reason_name(stats.reason), static_cast<unsigned long long>(s.seed));
    }
    return 0;
}

}  // namespace loom::cli
