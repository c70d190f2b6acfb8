// loom-cli bench: prefill and decode speed of a model, with the memory-bandwidth bound measured in the same
// run; and `--write-model` to create the random-weight benchmark model.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "api/gguf_export.h"
#include "api/synthetic_model.h"
#include "commands.h"
#include "model/kv_cache.h"
#include "model/session.h"
#include "model/step_times.h"
#include "sampling/sampler.h"
#include "util/error.h"

namespace loom::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Spread {
    double median, low, high;
};

Spread spread_of(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    size_t n = values.size();
    double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return {median, values.front(), values.back()};
}

// A folder of safetensors for F32/F16/BF16; a GGUF file of any type when the path ends in .gguf (made from a
// temporary BF16 folder).
int write_model(const std::filesystem::path& path, Args& args) {
    QuantScheme scheme = QuantScheme::parse(args.value("--dtype").value_or("bf16"));
    std::string shape = args.value("--shape").value_or("qwen2.5-0.5b");
    args.finish();
    if (shape != "qwen2.5-0.5b") fail("unknown --shape '", shape, "' (known: qwen2.5-0.5b)");
    if (path.extension() == ".gguf") {
        std::filesystem::path temporary = path.string() + ".source";
        write_synthetic_model(SyntheticModelSpec::qwen2_5_0_5b(DType::BF16), temporary);
        GgufExportOptions options;
        options.scheme = scheme;
        export_gguf(temporary, path, options);
        std::filesystem::remove_all(temporary);
    } else {
        std::optional<DType> dtype = dtype_from_name(scheme.name());
        if (!dtype || dtype_info(*dtype).quantized)
            fail("a safetensors model holds F32, F16 or BF16; write a .gguf file for ", scheme.name());
        write_synthetic_model(SyntheticModelSpec::qwen2_5_0_5b(*dtype), path);
    }
    std::printf("wrote a random-weight %s model (%s) to %s\n", shape.c_str(), scheme.name().c_str(),
                path.string().c_str());
    return 0;
}

// Decode time by forward-pass step (model/step_times.h), most first, per token and as a share of all decode
// time; what is left is outside the forward pass.
void print_steps(const StepTimes& times, double decode_seconds, int64_t tokens) {
    std::vector<std::pair<std::string_view, double>> steps;
    for (int t = 0; t < static_cast<int>(Tap::Count); ++t) {
        const std::string_view name = step_name(static_cast<Tap>(t));
        auto same =
            std::find_if(steps.begin(), steps.end(), [&](const auto& step) { return step.first == name; });
        if (same == steps.end()) same = steps.insert(steps.end(), {name, 0.0});
        same->second += times.seconds(static_cast<Tap>(t));
    }
    steps.emplace_back("outside the forward pass (reading logits, choosing the token)",
                       decode_seconds - times.total_seconds());
    std::sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::printf("steps:     decode time by step of the forward pass (per token; on a GPU, when queued):\n");
    for (const auto& [name, seconds] : steps)
        std::printf("           %8.3f ms  %5.1f %%  %.*s\n", 1e3 * seconds / static_cast<double>(tokens),
                    100.0 * seconds / decode_seconds, static_cast<int>(name.size()), name.data());
}

// Megabytes with three significant digits or more (a test model's key/value cache is a few kB).
std::string megabytes(double bytes) {
    const double mb = bytes / 1e6;
    char text[32];
    std::snprintf(text, sizeof text, "%.*f MB", mb >= 100 ? 1 : mb >= 10 ? 2 : mb >= 1 ? 3 : 4, mb);
    return text;
}

}  // namespace

int bench_command(Args args) {
    if (std::optional<std::string> folder = args.value("--write-model")) return write_model(*folder, args);
    ModelArgs model_args = take_model_args(args);
    int64_t prompt_tokens = args.integer("--prompt-tokens", 128, 1, 1 << 16, "-p");
    int64_t generate_tokens = args.integer("--gen-tokens", 64, 1, 1 << 16, "-n");
    int64_t repetitions = args.integer("--repetitions", 3, 1, 100, "-r");
    const bool profile = args.flag("--profile");
    args.finish();

    std::shared_ptr<Model> model = load_model(model_args).model;
    const ModelConfig& config = model->config();
    std::printf("model:     %s (%s, %.1f M parameters, %s)\n", model->path().string().c_str(),
                config.architecture.c_str(), model->parameter_count() / 1e6, model->weight_types().c_str());
    std::printf("backend:   %s\n", model->backend().name().c_str());

    std::mt19937 random(42);
    std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(config.vocab_size - 1));
    std::vector<int32_t> prompt(static_cast<size_t>(prompt_tokens));
    for (int32_t& id : prompt)
        id = token(random);

    SessionOptions session_options;
    session_options.context_length =
        std::min<int64_t>(config.context_length, prompt_tokens + generate_tokens + 1);
    session_options.batch_size = std::min<int64_t>(prompt_tokens, 512);
    {
        // Untimed: the first passes fault the memory-mapped weights in from disk, and a GPU backend builds
        // the pipelines of both paths (a whole prompt, then single tokens) on first use.
        Session warm_up(model, session_options);
        std::span<const float> logits = warm_up.evaluate(prompt);
        int32_t next = greedy_token(logits);
        warm_up.evaluate(std::span<const int32_t>(&next, 1));
    }
    // What a decoded token must read: every weight once, and the keys and values of every position it
    // attends to (the prompt, the tokens decoded before it and itself; on average over the run, the prompt
    // and half the decoded tokens). With a 128-token prompt the cache is about 1 % of the bytes of a 0.5B
    // model; with a long conversation it is a tenth or more, and a bound without it would be too high.
    const double weight_bytes = static_cast<double>(model->weight_bytes());
    const double mean_positions =
        static_cast<double>(prompt_tokens) + static_cast<double>(generate_tokens + 1) / 2;
    const double cache_bytes = static_cast<double>(KvCache::bytes(config, 1)) * mean_positions;
    const double bytes_per_token = weight_bytes + cache_bytes;
    // How fast the memory the weights are in can be read: the CPU's (on the backend's threads) or the GPU's.
    // Measured just before and just after each decode run, and each run is set against the mean of its two
    // measurements: on a shared machine a neighbour's traffic moves the bandwidth by half from one minute to
    // the next, and a bound taken at another moment than the run would say more about the neighbour than
    // about the engine. The probe needs memory of its own (up to 1 GiB beside the model): where there is
    // none, the speeds are still printed, without the bound.
    std::string bandwidth_failure;
    auto measure_bandwidth = [&]() -> double {
        if (!bandwidth_failure.empty()) return 0;
        try {
            return model->backend().measure_memory_bandwidth();
        } catch (const std::exception& e) {  // Error, or bad_alloc for the CPU's buffer
            bandwidth_failure = e.what();
            return 0;
        }
    };
    std::vector<double> prefill_rates, decode_rates, bandwidths, fractions, weight_fractions;
    StepTimes step_times;  // of the decode runs, with --profile
    double decode_seconds = 0;
    for (int64_t rep = 0; rep < repetitions; ++rep) {
        Session session(model, session_options);
        auto start = Clock::now();
        std::span<const float> logits = session.evaluate(prompt);
        prefill_rates.push_back(prompt_tokens / std::chrono::duration<double>(Clock::now() - start).count());
        const double bandwidth = measure_bandwidth();
        if (profile) session.time_steps(&step_times);
        start = Clock::now();
        for (int64_t i = 0; i < generate_tokens; ++i) {
            int32_t next = greedy_token(logits);
            logits = session.evaluate(std::span<const int32_t>(&next, 1));
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        decode_seconds += seconds;
        decode_rates.push_back(generate_tokens / seconds);
        const double bandwidth_after = bandwidth > 0 ? measure_bandwidth() : 0;
        if (bandwidth_after > 0) {
            bandwidths.push_back(bandwidth);
            bandwidths.push_back(bandwidth_after);
            const double mean_bandwidth = (bandwidth + bandwidth_after) / 2;
            fractions.push_back(decode_rates.back() * bytes_per_token / mean_bandwidth);
            weight_fractions.push_back(decode_rates.back() * weight_bytes / mean_bandwidth);
        }
    }

    Spread prefill = spread_of(prefill_rates), decode = spread_of(decode_rates);
    std::printf("prefill:   %lld tokens: %8.1f tok/s  (median of %lld, %.1f..%.1f)\n",
                static_cast<long long>(prompt_tokens), prefill.median, static_cast<long long>(repetitions),
                prefill.low, prefill.high);
    std::printf("decode:    %lld tokens: %8.1f tok/s  (median of %lld, %.1f..%.1f)\n",
                static_cast<long long>(generate_tokens), decode.median, static_cast<long long>(repetitions),
                decode.low, decode.high);

    if (profile) print_steps(step_times, decode_seconds, generate_tokens * repetitions);
    std::printf(
        "reads:     %s per decoded token: weights %s, key/value cache %s (%.0f positions, the mean "
        "of the run)\n",
        megabytes(bytes_per_token).c_str(), megabytes(weight_bytes).c_str(), megabytes(cache_bytes).c_str(),
        mean_positions);
    if (fractions.size() != decode_rates.size()) {
        std::printf("memory:    bandwidth not measured (%s)\n", bandwidth_failure.c_str());
        return 0;
    }
    Spread bandwidth = spread_of(bandwidths), fraction = spread_of(fractions),
           weight_fraction = spread_of(weight_fractions);
    std::printf("memory:    %.1f GB/s read (median, %.1f..%.1f): decode bound %.1f tok/s\n",
                bandwidth.median / 1e9, bandwidth.low / 1e9, bandwidth.high / 1e9,
                bandwidth.median / bytes_per_token);
    std::printf(
        "           decode reaches %.0f%% of the bound (median of the runs, each against the mean of the "
        "bandwidths measured just before and after it; %.0f..%.0f%%)\n"
        "           counting the weights alone: %.0f%% (%.0f..%.0f%%)\n",
        100.0 * fraction.median, 100.0 * fraction.low, 100.0 * fraction.high, 100.0 * weight_fraction.median,
        100.0 * weight_fraction.low, 100.0 * weight_fraction.high);
    return 0;
}

}  // namespace loom::cli
