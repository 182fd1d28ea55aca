// Byte-level BPE over token ids: a pre-token's bytes start as one symbol per byte (the id of the
// byte's byte-level character) and the adjacent pair with the lowest merge rank is merged, the
// leftmost first among equal ranks, until no pair has a merge. This is HF tokenizers' BPE with
// dropout=None, no unk token, no continuing-subword prefix or end-of-word suffix.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"

namespace qinfer::tokenizer {

using TokenId = int32_t;

class BpeModel {
 public:
  // `vocab[id]` is the byte-level text of token `id` (every id below vocab.size() present).
  // `merges` are pairs of byte-level texts, highest priority first (rank = index). Fails when a
  // merge names a text missing from the vocabulary, when a merge's concatenation is missing, or
  // when a single-byte symbol is missing (byte-level BPE must be able to spell every byte).
  static Expected<BpeModel> create(const std::vector<std::string>& vocab,
                                   const std::vector<std::pair<std::string, std::string>>& merges);

  // Appends the ids of the BPE encoding of `word` (raw bytes of one pre-token, non-empty).
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;

  // Words up to this many bytes merge with a flat array and a linear scan for the minimum rank
  // (fast for the short words that dominate text); longer ones use a linked list and a heap,
  // O(n log n), so a megabyte-long "word" is not quadratic. Exposed for the equivalence test.
  static constexpr size_t kFlatMergeMaxBytes = 64;
  void encode_word_flat(std::string_view word, std::vector<TokenId>& out) const;
  void encode_word_heap(std::string_view word, std::vector<TokenId>& out) const;

  TokenId byte_token(unsigned char byte) const { return byte_tokens_[byte]; }

 private:
  struct MergeEntry {
    uint64_t key = kEmptyKey;  // (left id << 32) | right id
    int32_t rank = 0;
    TokenId merged = 0;
  };
  static constexpr uint64_t kEmptyKey = ~uint64_t{0};
  static constexpr int32_t kNoMerge = INT32_MAX;

  static uint64_t pair_key(TokenId left, TokenId right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  static size_t slot_of(uint64_t key, size_t mask) {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
  }
  // Open addressing, linear probing, load factor <= 1/2: the merge lookup is the inner loop.
  const MergeEntry* find_merge(TokenId left, TokenId right) const {
    const uint64_t key = pair_key(left, right);
    for (size_t slot = slot_of(key, merge_mask_);; slot = (slot + 1) & merge_mask_) {
      const MergeEntry& entry = merge_table_[slot];
      if (entry.key == key) return &entry;
      if (entry.key == kEmptyKey) return nullptr;
    }
  }
  int32_t rank_of(TokenId left, TokenId right) const {
    const MergeEntry* entry = find_merge(left, right);
    return entry ? entry->rank : kNoMerge;
  }

  std::array<TokenId, 256> byte_tokens_{};
  std::vector<MergeEntry> merge_table_;
  size_t merge_mask_ = 0;
};

}  // namespace qinfer::tokenizer
