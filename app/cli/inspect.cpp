// loom-cli inspect: what a model is, from its headers, without loading the weights.
#include <cstdio>

#include "api/builtin_model.h"
#include "api/model_info.h"
#include "commands.h"
#include "formats/hf_cache.h"
#include "util/error.h"

namespace loom::cli {

int inspect_command(Args args) {
    std::string spec = args.value("--model", "-m").value_or("");
    bool brief = args.flag("--brief");
    args.finish();
    std::filesystem::path path = spec.empty() ? builtin_model_path() : resolve_model_location(spec);
    DescribeOptions options;
    options.list_tensors = !brief;
    ModelDescription d = describe_model(path, options);
    // Nothing of a model there at all (no config, no tensors): an error, not a description. A model that
    // cannot run is described, and the exit status (2) says it cannot.
    if (!d.config && d.tensors.empty() && d.parameters == 0)
        fail(d.path.string(), " is not a model: ", d.problem,
             ". Give a model folder, a .gguf file, or org/name from the Hugging Face cache");

    std::printf("path:          %s\n", d.path.string().c_str());
    std::printf("format:        %s\n", d.format.c_str());
    std::printf("architecture:  %s\n", d.architecture.c_str());
    std::printf("parameters:    %lld (%.2f M)\n", static_cast<long long>(d.parameters), d.parameters / 1e6);
    std::printf("weight types:  %s\n", d.dtypes.c_str());
    std::printf("size on disk:  %.1f MB\n", static_cast<double>(d.bytes_on_disk) / 1e6);
    std::printf("tokenizer:     %s\n", d.tokenizer.empty() ? "(none)" : d.tokenizer.c_str());
    std::printf("chat template: %s\n", d.has_chat_template ? "yes" : "no");
    if (d.config) {
        const ModelConfig& c = *d.config;
        std::printf(
            "hidden %lld, %d layers, %d heads, %d KV heads, head dim %d, ffn %lld, vocab %lld, context "
            "%lld\n",
            static_cast<long long>(c.hidden_size), c.layers, c.heads, c.kv_heads, c.head_dim,
            static_cast<long long>(c.ffn_size), static_cast<long long>(c.vocab_size),
            static_cast<long long>(c.context_length));
        std::printf("rope theta %g%s, norm eps %g, %s embeddings%s\n", c.rope_theta,
                    c.rope_scaling.kind == RopeScaling::Kind::Llama3   ? " (llama3 scaling)"
                    : c.rope_scaling.kind == RopeScaling::Kind::Linear ? " (linear scaling)"
                                                                       : "",
                    c.norm_eps, c.tied_embeddings ? "tied" : "separate output",
                    c.qkv_bias ? ", q/k/v biases" : "");
    }
    std::printf("can run:       %s\n", d.runnable ? "yes" : ("no: " + d.problem).c_str());
    if (!d.tensors.empty()) {
        std::printf("\n%zu tensors:\n", d.tensors.size());
        for (const TensorSummary& t : d.tensors)
            std::printf("  %-56s %-5s %s\n", t.name.c_str(), t.dtype.c_str(), shape_text(t.shape).c_str());
    }
    return d.runnable ? 0 : 2;
}

}  // namespace loom::cli
