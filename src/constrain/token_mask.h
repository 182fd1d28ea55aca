// Which tokens may come next: one bit per model vocabulary id, set when the token's bytes keep
// the grammar alive (special tokens never; the end-of-sequence ids exactly when the document is
// complete).
//
// The trie of token bytes (token_index.h) is walked depth-first from the matcher's heads, one
// grammar step per edge, dropping a subtree the moment no head survives its prefix; structural
// JSON positions allow few bytes, so little of the trie is visited. A head that is at a
// character boundary inside a string would keep nearly the whole subtree alive, so it leaves the
// walk and is resolved from the per-token string scans instead: a token that stays inside the
// string needs only its character count checked against maxLength, and one that closes the
// string is run on from the string's continuation for its remaining bytes.
//
// Allocation: buffers grow to the largest head sets seen and are then reused; the matcher's node
// table gains only grammar contexts it has not met before.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "constrain/matcher.h"
#include "constrain/token_index.h"

namespace qinfer::constrain {

// Words of a mask over `vocab` ids.
inline size_t mask_words(int64_t vocab) { return static_cast<size_t>((vocab + 63) / 64); }
inline bool mask_test(std::span<const uint64_t> mask, int64_t id) {
  return (mask[static_cast<size_t>(id) >> 6] >> (id & 63)) & 1;
}
inline void mask_set(std::span<uint64_t> mask, int64_t id) {
  mask[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
}

class TokenMasker {
 public:
  explicit TokenMasker(std::shared_ptr<const TokenIndex> index);

  // Fills `mask` (mask_words(index.model_vocab_size()) words) for the matcher's state.
  // `eos_ids` are allowed when the document is complete.
  void compute(Matcher& matcher, std::span<const int32_t> eos_ids, std::span<uint64_t> mask);

  const TokenIndex& index() const { return *index_; }

 private:
  void walk(Matcher& matcher, std::span<uint64_t> mask);
  // Resolves the subtree of trie node `node` (depth `depth`) for a string head at a character
  // boundary.
  void resolve_string_head(Matcher& matcher, Head head, uint32_t node, uint32_t depth,
                           std::span<uint64_t> mask);
  // True when `bytes` can follow the heads in `from`.
  bool survives(Matcher& matcher, std::span<const Head> from, std::string_view bytes);
  // Moves heads that are string heads at a character boundary from `heads` to `string_heads`.
  void split_string_heads(const Matcher& matcher, std::vector<Head>& heads,
                          std::vector<Head>& string_heads);

  std::shared_ptr<const TokenIndex> index_;
  std::vector<std::vector<Head>> levels_;  // [max token bytes + 1] heads per walk depth
  std::vector<Head> string_heads_;
  std::vector<Head> after_string_;
  std::vector<Head> run_a_, run_b_;
};

}  // namespace qinfer::constrain
