// Building a tokenizer's components from a Hugging Face tokenizer.json.
#pragma once

#include "tokenizer/json_fields.h"
#include "tokenizer/tokenizer_impl.h"

namespace loom {

// The components tokenizer.json describes: model, added tokens, normalizer, pre-tokenizer, post-processor
// (bos/eos) and decoder. Throws Error naming the field that is missing, malformed or of an unsupported type.
TokenizerComponents components_from_tokenizer_json(const tok::JsonField& root);

}  // namespace loom
