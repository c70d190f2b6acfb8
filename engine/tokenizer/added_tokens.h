// Added tokens: pieces outside the BPE model's merges (bos/eos, <|im_start|>, <think>...) that are found in
// the text before anything else runs, so that normalizing and splitting never break them apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom::tok {

struct AddedToken {
    int32_t id = 0;
    std::string content;
    bool special =
        false;            // a control token: matched only with parse_special, skipped by decode(skip_special)
    bool lstrip = false;  // swallows the whitespace before it
    bool rstrip = false;  // swallows the whitespace after it
    bool single_word = false;  // matches only where it does not touch a letter, digit or '_' on either side
    bool normalized = false;   // (non-special tokens) matched in the normalized text, not the text as written
};

// A stretch of the text: plain text to tokenize, or one added token.
struct Segment {
    std::string_view text;  // plain text (empty for a token)
    int32_t token = -1;     // the added token's id, or -1 for plain text
    size_t offset = 0;      // where `text` starts in the split text
};

// Finds added tokens in text: at each position the longest token that starts there, scanning left to right
// (the leftmost-longest rule of Hugging Face tokenizers). A byte trie makes that one walk per position.
class AddedTokenMatcher {
  public:
    AddedTokenMatcher() = default;
    explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

    bool empty() const { return tokens_.empty(); }
    // Splits `text` into plain text and tokens; special tokens are recognised only when `parse_special`.
    std::vector<Segment> split(std::string_view text, bool parse_special) const;

  private:
    struct Node {
        std::vector<std::pair<unsigned char, int32_t>> children;  // (byte, node index), sorted by byte
        int32_t token = -1;                                       // index into tokens_ of a token ending here
    };
    int32_t child(int32_t node, unsigned char byte) const;
    // The token that starts at text[pos] and is longest, or -1; sets `end` to where it ends.
    int32_t longest_match(std::string_view text, size_t pos, bool parse_special, size_t& end) const;

    std::vector<AddedToken> tokens_;
    std::vector<Node> nodes_;
};

}  // namespace loom::tok
