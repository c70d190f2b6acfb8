// Which type each weight matrix gets when a model is converted on load or saved as GGUF: one type for all
// ("Q8_0", "F16") or a llama.cpp-style mix ("Q4_K_M": 4-bit K-quants, with 6 bits where quality needs them).
// Rows that are not a whole number of the chosen type's blocks fall back to a type whose blocks fit, as
// llama.cpp does (Qwen2.5-0.5B's 896-wide rows cannot hold 256-value K-quant blocks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/tensor_names.h"
#include "tensor/dtype.h"

namespace loom {

class QuantScheme {
  public:
    // "F32", "F16", "BF16", "Q8_0", "Q4_0", ..., "Q6_K", "Q4_K_M", "Q5_K_M" (case-insensitive). Throws Error
    // listing the known names.
    static QuantScheme parse(std::string_view name);
    static std::string known_names();

    const std::string& name() const { return name_; }
    // The type of weight `id` of layer `layer` (of `layers`), whose rows hold `cols` values.
    DType type_for(WeightId id, int layer, int layers, int64_t cols) const;
    // llama.cpp's general.file_type number for this scheme.
    uint32_t gguf_file_type() const { return file_type_; }

  private:
    std::string name_;
    DType base_ = DType::F32;
    bool mixed_ = false;  // the _M mixes: more bits for attn_v, ffn_down and the output
    uint32_t file_type_ = 0;
};

}  // namespace loom
