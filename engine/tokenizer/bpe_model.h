// The BPE model: turns one pre-tokenized word into token ids. The word starts as its characters (or, for a
// character missing from the vocabulary, its <0xXX> byte tokens or the unknown token); then the pair of
// neighbours with the best-ranked merge is joined, again and again, until no neighbours can merge.
//
// Candidates wait in a priority queue ordered by (rank, position) and the symbols form a linked list, so a
// word of n characters costs O(n log n) rather than the O(n^2) of rescanning all pairs after each merge.
// Nothing is cached: encode_word is const and safe to call from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace loom::tok {

// std::string keys looked up by std::string_view without building a string.
struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using PieceIds = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct BpeMerge {
    int32_t left = 0;
    int32_t right = 0;
    int32_t merged = 0;
    int32_t rank = 0;  // lower merges first; merges into the same piece may share a rank
};

struct BpeOptions {
    std::optional<int32_t> unk;  // for characters that are neither in the vocabulary nor byte-encodable
    bool byte_fallback = false;  // spell unknown characters as <0xXX> byte tokens (SentencePiece)
    bool fuse_unk = false;       // consecutive unknown characters give one unknown token
    bool ignore_merges = false;  // a word that is in the vocabulary as a whole is one token (Llama 3)
};

class BpeModel {
  public:
    BpeModel() { byte_tokens_.fill(-1); }  // no pieces: every character is unknown
    // `vocab` maps the model's own pieces to ids (added tokens are not part of it).
    BpeModel(PieceIds vocab, const std::vector<BpeMerge>& merges, BpeOptions options);

    // Appends the ids of `word` (non-empty, valid UTF-8) to `ids`. Throws Error for a character the model
    // cannot spell: not in the vocabulary, no byte fallback and no unknown token.
    void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

    std::optional<int32_t> find(std::string_view piece) const;
    const PieceIds& vocab() const { return vocab_; }
    const BpeOptions& options() const { return options_; }

  private:
    struct MergeResult {
        int32_t rank;
        int32_t merged;
    };
    static uint64_t pair_key(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }
    const MergeResult* find_merge(int32_t left, int32_t right) const;

    PieceIds vocab_;
    std::unordered_map<uint64_t, MergeResult> merges_;
    std::array<int32_t, 256>
        byte_tokens_{};  // id of "<0xXX>" for each byte, -1 where the vocabulary lacks it
    BpeOptions options_;
};

// The merges of tokenizer.json or GGUF "gpt2", as pairs of pieces in priority order. Throws Error naming the
// first merge whose parts or result are not in the vocabulary.
std::vector<BpeMerge> merges_from_pairs(const PieceIds& vocab,
                                        const std::vector<std::pair<std::string, std::string>>& pairs);

// SentencePiece BPE (GGUF "llama") stores scores instead of merges: two pieces merge when their concatenation
// is a piece, and the higher its score, the earlier. Derives those merges among the pieces marked mergeable
// (the normal ones: not control, byte or unknown tokens).
std::vector<BpeMerge> merges_from_scores(const std::vector<std::string>& pieces,
                                         const std::vector<float>& scores,
                                         const std::vector<bool>& mergeable);

}  // namespace loom::tok
