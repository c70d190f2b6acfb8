#include "tokenizer/bpe_model.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace loom::tok {

namespace {

std::string byte_token_piece(int byte) {
    char piece[8];
    std::snprintf(piece, sizeof(piece), "<0x%02X>", byte);
    return piece;
}

// One symbol of the word being merged: a token id in a doubly linked list over the symbol array.
struct Symbol {
    int32_t id;
    int32_t prev;  // index of the previous live symbol, -1 at the start
    int32_t next;  // index of the next live symbol, -1 at the end
};

// A merge that was possible when it was queued: symbols[left] (id left_id) with its next (id right_id).
struct Candidate {
    int32_t rank;
    int32_t left;
    int32_t left_id;
    int32_t right_id;
    int32_t merged;
};

// Orders the priority queue so that the lowest rank comes out first and, among equal ranks, the leftmost.
struct ComesLater {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
    }
};

}  // namespace

BpeModel::BpeModel(PieceIds vocab, const std::vector<BpeMerge>& merges, BpeOptions options)
    : vocab_(std::move(vocab)), options_(options) {
    merges_.reserve(merges.size());
    // A pair listed twice keeps its last rank, as Hugging Face tokenizers builds its table.
    for (const BpeMerge& merge : merges)
        merges_.insert_or_assign(pair_key(merge.left, merge.right), MergeResult{merge.rank, merge.merged});
    for (int byte = 0; byte < 256; ++byte)
        byte_tokens_[byte] = find(byte_token_piece(byte)).value_or(-1);
}

std::optional<int32_t> BpeModel::find(std::string_view piece) const {
    auto it = vocab_.find(piece);
    if (it == vocab_.end()) return std::nullopt;
    return it->second;
}

const BpeModel::MergeResult* BpeModel::find_merge(int32_t left, int32_t right) const {
    auto it = merges_.find(pair_key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
    if (options_.ignore_merges) {
        if (auto id = find(word)) {
            ids.push_back(*id);
            return;
        }
    }

    // The word's characters as symbols.
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    bool previous_unknown = false;
    auto add_symbol = [&](int32_t id) {
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({id, index - 1, -1});
        if (index > 0) symbols[index - 1].next = index;
    };
    for (size_t pos = 0; pos < word.size();) {
        const size_t begin = pos;
        const char32_t character = next_code_point(word, pos);
        const std::string_view text = word.substr(begin, pos - begin);
        if (auto id = find(text)) {
            add_symbol(*id);
            previous_unknown = false;
            continue;
        }
        if (options_.byte_fallback && std::all_of(text.begin(), text.end(), [&](char b) {
                return byte_tokens_[static_cast<unsigned char>(b)] >= 0;
            })) {
            for (char byte : text)
                add_symbol(byte_tokens_[static_cast<unsigned char>(byte)]);
            previous_unknown = false;
            continue;
        }
        if (!options_.unk) {
            char code[16];
            std::snprintf(code, sizeof(code), "U+%04X", static_cast<unsigned>(character));
            fail("the tokenizer cannot encode the character ", code, " (\"", text,
                 "\"): it is not in the vocabulary, and the model has no byte fallback and no unknown token");
        }
        if (!(options_.fuse_unk && previous_unknown)) add_symbol(*options_.unk);
        previous_unknown = true;
    }

    // Merge the best-ranked neighbours until none can merge.
    std::priority_queue<Candidate, std::vector<Candidate>, ComesLater> queue;
    auto consider = [&](int32_t left) {
        if (left < 0 || symbols[left].next < 0) return;
        const Symbol& a = symbols[left];
        const Symbol& b = symbols[a.next];
        if (const MergeResult* merge = find_merge(a.id, b.id))
            queue.push({merge->rank, left, a.id, b.id, merge->merged});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
        consider(i);

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        // Skip candidates that earlier merges made stale: a merged symbol always gets a new id, and the
        // right-hand symbol is unlinked, so comparing both ids tells whether the pair is still there.
        Symbol& left = symbols[top.left];
        if (left.id != top.left_id || left.next < 0 || symbols[left.next].id != top.right_id) continue;
        Symbol& right = symbols[left.next];
        left.id = top.merged;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = top.left;
        right.id = -1;
        consider(left.prev);
        consider(top.left);
    }

    for (int32_t i = 0; i >= 0 && !symbols.empty(); i = symbols[i].next)
        ids.push_back(symbols[i].id);
}

std::vector<BpeMerge> merges_from_pairs(const PieceIds& vocab,
                                        const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::vector<BpeMerge> merges;
    merges.reserve(pairs.size());
    auto id_of = [&](const std::string& piece, size_t index,
                     const std::pair<std::string, std::string>& pair) {
        auto it = vocab.find(piece);
        if (it == vocab.end())
            fail("merge #", index, " (\"", pair.first, "\" + \"", pair.second, "\") refers to \"", piece,
                 "\", which is not in the vocabulary");
        return it->second;
    };
    for (size_t i = 0; i < pairs.size(); ++i) {
        const auto& pair = pairs[i];
        const int32_t left = id_of(pair.first, i, pair);
        const int32_t right = id_of(pair.second, i, pair);
        const int32_t merged = id_of(pair.first + pair.second, i, pair);
        merges.push_back({left, right, merged, static_cast<int32_t>(i)});
    }
    return merges;
}

std::vector<BpeMerge> merges_from_scores(const std::vector<std::string>& pieces,
                                         const std::vector<float>& scores,
                                         const std::vector<bool>& mergeable) {
    PieceIds ids;
    for (size_t id = 0; id < pieces.size(); ++id)
        if (mergeable[id]) ids.try_emplace(pieces[id], static_cast<int32_t>(id));

    // Rank = position in the order of decreasing score (ties keep id order, as SentencePiece lists pieces).
    std::vector<int32_t> order;
    for (size_t id = 0; id < pieces.size(); ++id)
        if (mergeable[id]) order.push_back(static_cast<int32_t>(id));
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });

    std::vector<BpeMerge> merges;
    for (size_t rank = 0; rank < order.size(); ++rank) {
        const int32_t merged = order[rank];
        const std::string& piece = pieces[merged];
        // Every cut between two characters that leaves two pieces of the vocabulary.
        for (size_t cut = 0; cut < piece.size();) {
            cut += utf8_length(static_cast<unsigned char>(piece[cut]));
            if (cut >= piece.size()) break;
            auto left = ids.find(std::string_view(piece).substr(0, cut));
            auto right = ids.find(std::string_view(piece).substr(cut));
            if (left != ids.end() && right != ids.end())
                merges.push_back({left->second, right->second, merged, static_cast<int32_t>(rank)});
        }
    }
    return merges;
}

}  // namespace loom::tok
