// The tokenizer a GGUF file describes in its tokenizer.ggml.* metadata.
#pragma once

#include "formats/gguf_value.h"
#include "tokenizer/tokenizer.h"

namespace loom {

// Throws Error naming a missing key or an unsupported tokenizer model / pre-tokenizer.
Tokenizer tokenizer_from_gguf(const GgufMetadata& metadata);

}  // namespace loom
