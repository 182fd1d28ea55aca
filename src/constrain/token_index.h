// Everything about a vocabulary that token masks need, built once per tokenizer and shared by
// every constrained request (read-only, so any thread may use it):
//
//  - every non-special token's bytes, and those byte strings in sorted order as a trie in
//    preorder: a mask walks it depth-first, stepping the grammar one byte per trie edge and
//    skipping a whole subtree as soon as no grammar head survives its prefix;
//  - for each token and each byte offset into it, what the rest of the token does inside a JSON
//    string body started at a character boundary (stays inside with k characters, closes the
//    string after byte j with k characters before it, or is invalid), for both string flavors.
//    Inside strings almost every token is valid, so walking the trie would visit most of it;
//    with the table the mask costs one lookup per token instead (token_mask.h).
//
// Special tokens (<|im_end|>, <|endoftext|>, ...) are left out: a grammar never produces them;
// the end-of-sequence ids are added by the masker when the document is complete.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "constrain/grammar.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::constrain {

struct TrieNode {
  uint32_t subtree_end = 0;  // index of the first node after this node's subtree
  uint32_t tok_begin = 0;    // sorted tokens with this prefix: [tok_begin, tok_end)
  uint32_t ends_end = 0;     // of those, [tok_begin, ends_end) are exactly this prefix
  uint32_t tok_end = 0;
  uint16_t depth = 0;        // prefix length in bytes
  uint8_t byte = 0;          // the last byte of the prefix (none for the root)
};

// What a token's bytes from some offset do inside a string body (see above).
struct StringScan {
  static constexpr uint16_t kInvalid = 0xFFFF;
  static constexpr uint16_t kInside = 0xFFFE;
  uint16_t end = kInvalid;  // kInvalid, kInside, or the offset just after the closing quote
  uint16_t characters = 0;  // characters started before the end (or the closing quote)
};

class TokenIndex {
 public:
  // `model_vocab_size`: rows of the model's logits (>= the tokenizer's ids; masks have that
  // many bits).
  static Expected<std::shared_ptr<const TokenIndex>> build(const tokenizer::Tokenizer& tokenizer,
                                                           int64_t model_vocab_size);

  int64_t model_vocab_size() const { return model_vocab_size_; }
  size_t token_count() const { return sorted_ids_.size(); }
  // The bytes a token id stands for; empty for special, unused and out-of-tokenizer ids.
  std::string_view token_bytes(int32_t id) const;

  const std::vector<TrieNode>& trie() const { return trie_; }
  int32_t sorted_id(uint32_t sorted) const { return sorted_ids_[sorted]; }
  std::string_view sorted_bytes(uint32_t sorted) const {
    return std::string_view(bytes_).substr(offsets_[sorted], offsets_[sorted + 1] - offsets_[sorted]);
  }
  // The string scan of sorted token `sorted` from byte `offset` (<= its length).
  StringScan string_scan(StringFlavor flavor, uint32_t sorted, uint32_t offset) const {
    return scans_[static_cast<size_t>(flavor)][offsets_[sorted] + sorted + offset];
  }
  size_t max_token_bytes() const { return max_token_bytes_; }

  // The same scans from a token's first byte (a string head at the matcher's root), grouped so
  // that a mask does not read the per-offset table at all:
  struct RootStringScans {
    std::vector<uint64_t> inside;           // mask words: tokens that stay inside the string
    std::vector<int32_t> inside_ids;        // those ids by characters, ascending
    std::vector<uint16_t> inside_characters;
    std::vector<uint32_t> closing;          // sorted indices of tokens that close the string
  };
  const RootStringScans& root_scans(StringFlavor flavor) const {
    return root_scans_[static_cast<size_t>(flavor)];
  }

 private:
  TokenIndex() = default;
  void build_trie();
  void build_scans();

  int64_t model_vocab_size_ = 0;
  std::string bytes_;                    // token bytes in sorted order, concatenated
  std::vector<uint32_t> offsets_;        // [tokens + 1] into bytes_
  std::vector<int32_t> sorted_ids_;      // [tokens] id of each sorted token
  std::vector<int32_t> sorted_of_id_;    // [model vocab] sorted index, or -1
  std::vector<TrieNode> trie_;           // preorder; trie_[0] is the root
  std::vector<StringScan> scans_[2];     // per flavor, [sum of (length + 1)]
  RootStringScans root_scans_[2];        // per flavor
  size_t max_token_bytes_ = 0;
};

}  // namespace qinfer::constrain
