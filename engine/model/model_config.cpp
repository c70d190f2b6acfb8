#include "model/model_config.h"

#include <cmath>
#include <numbers>

#include "util/error.h"

namespace loom {

void ModelConfig::validate() const {
    auto positive = [&](int64_t value, const char* name) {
        if (value <= 0) fail("model config: ", name, " must be positive (got ", value, ")");
    };
    positive(vocab_size, "vocab_size");
    positive(hidden_size, "hidden_size");
    positive(layers, "number of layers");
    positive(heads, "number of attention heads");
    positive(kv_heads, "number of key/value heads");
    positive(head_dim, "head_dim");
    positive(ffn_size, "intermediate_size");
    positive(context_length, "context length");
    if (heads % kv_heads != 0)
        fail("model config: ", heads, " attention heads cannot share ", kv_heads, " key/value heads evenly");
    if (rotary_dims <= 0 || rotary_dims > head_dim || rotary_dims % 2 != 0)
        fail("model config: rotary dimensions (", rotary_dims, ") must be even and at most head_dim (",
             head_dim, ")");
    if (!(norm_eps > 0.0f) || !(rope_theta > 0.0))
        fail("model config: norm epsilon and rope theta must be positive");
    if (layers > 1024 || heads > 4096 || hidden_size > (1 << 20) || vocab_size > (1 << 24))
        fail("model config: sizes are implausibly large");
}

std::vector<float> rope_inv_freq(const ModelConfig& config) {
    int pairs = config.rotary_dims / 2;
    std::vector<float> inv_freq(static_cast<size_t>(pairs));
    const RopeScaling& scaling = config.rope_scaling;
    for (int i = 0; i < pairs; ++i) {
        double freq = 1.0 / std::pow(config.rope_theta, 2.0 * i / config.rotary_dims);
        if (scaling.kind == RopeScaling::Kind::Linear) {
            freq /= scaling.factor;
        } else if (scaling.kind == RopeScaling::Kind::Llama3) {
            // As Meta's and Hugging Face's Llama 3.1 code: long wavelengths are slowed by `factor`, short
            // ones kept, the band between interpolated smoothly.
            double wavelength = 2.0 * std::numbers::pi / freq;
            double low_freq_wavelength = double(scaling.original_context) / scaling.low_freq_factor;
            double high_freq_wavelength = double(scaling.original_context) / scaling.high_freq_factor;
            if (wavelength > low_freq_wavelength) {
                freq /= scaling.factor;
            } else if (wavelength >= high_freq_wavelength) {
                double smooth = (double(scaling.original_context) / wavelength - scaling.low_freq_factor) /
                                (scaling.high_freq_factor - scaling.low_freq_factor);
                freq = (1.0 - smooth) * freq / scaling.factor + smooth * freq;
            }
        }
        inv_freq[static_cast<size_t>(i)] = static_cast<float>(freq);
    }
    return inv_freq;
}

}  // namespace loom
