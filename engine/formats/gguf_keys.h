// The GGUF metadata keys Loom reads and writes, in one place: code elsewhere names them through these
// constants and never spells a key as a literal. Names follow ggml's docs/gguf.md and llama.cpp.
//
// Hyper-parameters are stored under the architecture's name: "llama.block_count", "qwen2.block_count".
// Build those keys with arch_key(architecture, key::kBlockCount).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loom::gguf {

namespace key {

// general.*
inline constexpr std::string_view kGeneralArchitecture = "general.architecture";  // string: "llama"
inline constexpr std::string_view kGeneralName = "general.name";
inline constexpr std::string_view kGeneralAlignment = "general.alignment";  // uint32, a power of two
inline constexpr std::string_view kGeneralQuantizationVersion = "general.quantization_version";  // uint32
inline constexpr std::string_view kGeneralFileType = "general.file_type";  // uint32, llama.cpp's ftype
inline constexpr std::string_view kGeneralAuthor = "general.author";
inline constexpr std::string_view kGeneralDescription = "general.description";
inline constexpr std::string_view kGeneralLicense = "general.license";           // e.g. "apache-2.0"
inline constexpr std::string_view kGeneralLicenseName = "general.license.name";  // for "other" licences
inline constexpr std::string_view kGeneralLicenseLink = "general.license.link";
inline constexpr std::string_view kGeneralSourceUrl = "general.source.url";

// <arch>.* : suffixes for arch_key()
inline constexpr std::string_view kContextLength = "context_length";
inline constexpr std::string_view kEmbeddingLength = "embedding_length";
inline constexpr std::string_view kBlockCount = "block_count";
inline constexpr std::string_view kFeedForwardLength = "feed_forward_length";
inline constexpr std::string_view kVocabSize = "vocab_size";
inline constexpr std::string_view kExpertCount = "expert_count";
inline constexpr std::string_view kExpertUsedCount = "expert_used_count";
inline constexpr std::string_view kHeadCount = "attention.head_count";
inline constexpr std::string_view kHeadCountKv = "attention.head_count_kv";
inline constexpr std::string_view kKeyLength = "attention.key_length";  // per-head size, if not dim / heads
inline constexpr std::string_view kValueLength = "attention.value_length";
inline constexpr std::string_view kLayerNormEpsilon = "attention.layer_norm_epsilon";
inline constexpr std::string_view kLayerNormRmsEpsilon = "attention.layer_norm_rms_epsilon";
inline constexpr std::string_view kSlidingWindow = "attention.sliding_window";
inline constexpr std::string_view kRopeDimensionCount = "rope.dimension_count";
inline constexpr std::string_view kRopeFreqBase = "rope.freq_base";
inline constexpr std::string_view kRopeScalingType = "rope.scaling.type";  // "none", "linear", "yarn"
inline constexpr std::string_view kRopeScalingFactor = "rope.scaling.factor";
inline constexpr std::string_view kRopeScalingOriginalContextLength = "rope.scaling.original_context_length";
inline constexpr std::string_view kAttentionLogitSoftcapping = "attn_logit_softcapping";
inline constexpr std::string_view kFinalLogitSoftcapping = "final_logit_softcapping";

// tokenizer.*
inline constexpr std::string_view kTokenizerModel =
    "tokenizer.ggml.model";                                              // "llama" (SentencePiece), "gpt2"
inline constexpr std::string_view kTokenizerPre = "tokenizer.ggml.pre";  // pre-tokenizer: "llama3", "qwen2"
inline constexpr std::string_view kTokenizerTokens = "tokenizer.ggml.tokens";  // string array
inline constexpr std::string_view kTokenizerScores = "tokenizer.ggml.scores";  // float32 array
inline constexpr std::string_view kTokenizerTokenType =
    "tokenizer.ggml.token_type";                                               // int32 array, TokenType
inline constexpr std::string_view kTokenizerMerges = "tokenizer.ggml.merges";  // string array "a b"
inline constexpr std::string_view kTokenizerAddedTokens = "tokenizer.ggml.added_tokens";
inline constexpr std::string_view kTokenizerBosTokenId = "tokenizer.ggml.bos_token_id";  // uint32
inline constexpr std::string_view kTokenizerEosTokenId = "tokenizer.ggml.eos_token_id";
inline constexpr std::string_view kTokenizerEotTokenId = "tokenizer.ggml.eot_token_id";
inline constexpr std::string_view kTokenizerUnknownTokenId = "tokenizer.ggml.unknown_token_id";
inline constexpr std::string_view kTokenizerSeparatorTokenId = "tokenizer.ggml.seperator_token_id";  // sic
inline constexpr std::string_view kTokenizerPaddingTokenId = "tokenizer.ggml.padding_token_id";
inline constexpr std::string_view kTokenizerAddBosToken = "tokenizer.ggml.add_bos_token";  // bool
inline constexpr std::string_view kTokenizerAddEosToken = "tokenizer.ggml.add_eos_token";
inline constexpr std::string_view kTokenizerAddSpacePrefix = "tokenizer.ggml.add_space_prefix";
inline constexpr std::string_view kTokenizerChatTemplate = "tokenizer.chat_template";  // Jinja source
inline constexpr std::string_view kTokenizerHuggingFaceJson = "tokenizer.huggingface.json";

}  // namespace key

// "<architecture>.<suffix>": arch_key("llama", key::kBlockCount) == "llama.block_count".
inline std::string arch_key(std::string_view architecture, std::string_view suffix) {
    std::string key;
    key.reserve(architecture.size() + 1 + suffix.size());
    key.append(architecture).append(".").append(suffix);
    return key;
}

// The values of tokenizer.ggml.token_type (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,  // <s>, </s>, chat markers: never produced by encoding ordinary text
    UserDefined = 4,
    Unused = 5,
    Byte = 6,  // <0x0A>: SentencePiece byte fallback
};

}  // namespace loom::gguf
