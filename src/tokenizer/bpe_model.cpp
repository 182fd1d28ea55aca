#include "tokenizer/bpe_model.h"

#include <queue>
#include <unordered_map>

#include "tokenizer/byte_level.h"

namespace qinfer::tokenizer {

Expected<BpeModel> BpeModel::create(
    const std::vector<std::string>& vocab,
    const std::vector<std::pair<std::string, std::string>>& merges) {
  std::unordered_map<std::string_view, TokenId> text_to_id;
  text_to_id.reserve(vocab.size());
  for (size_t id = 0; id < vocab.size(); ++id) {
    text_to_id.emplace(vocab[id], static_cast<TokenId>(id));
  }
  BpeModel model;
  for (unsigned b = 0; b < 256; ++b) {
    const std::string symbol = bytes_to_byte_level(std::string(1, static_cast<char>(b)));
    const auto it = text_to_id.find(symbol);
    if (it == text_to_id.end()) {
      return make_error("BPE vocabulary lacks the byte-level symbol for byte 0x{:02X} ('{}')", b,
                        symbol);
    }
    model.byte_tokens_[b] = it->second;
  }
  size_t capacity = 16;
  while (capacity < merges.size() * 2) capacity *= 2;
  model.merge_table_.assign(capacity, MergeEntry{});
  model.merge_mask_ = capacity - 1;
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const auto left_it = text_to_id.find(left);
    const auto right_it = text_to_id.find(right);
    joined = left + right;
    const auto merged_it = text_to_id.find(joined);
    if (left_it == text_to_id.end() || right_it == text_to_id.end() ||
        merged_it == text_to_id.end()) {
      return make_error("BPE merge #{} '{} {}' uses a token missing from the vocabulary", rank,
                        left, right);
    }
    const uint64_t key = pair_key(left_it->second, right_it->second);
    size_t slot = slot_of(key, model.merge_mask_);
    while (model.merge_table_[slot].key != kEmptyKey && model.merge_table_[slot].key != key) {
      slot = (slot + 1) & model.merge_mask_;
    }
    // A repeated pair takes its last rank: HF collects the merges into a map in order, so a
    // later duplicate overwrites the earlier entry.
    model.merge_table_[slot] = {key, static_cast<int32_t>(rank), merged_it->second};
  }
  return model;
}

void BpeModel::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  if (word.size() <= kFlatMergeMaxBytes) {
    encode_word_flat(word, out);
  } else {
    encode_word_heap(word, out);
  }
}

void BpeModel::encode_word_flat(std::string_view word, std::vector<TokenId>& out) const {
  // ids[i] is symbol i; ranks[i] the rank of merging symbols i and i+1.
  TokenId ids[kFlatMergeMaxBytes];
  int32_t ranks[kFlatMergeMaxBytes];
  size_t n = word.size();
  for (size_t i = 0; i < n; ++i) ids[i] = byte_tokens_[static_cast<unsigned char>(word[i])];
  for (size_t i = 0; i + 1 < n; ++i) ranks[i] = rank_of(ids[i], ids[i + 1]);
  while (n > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i) {
      if (ranks[i] < ranks[best]) best = i;  // strict: the leftmost of equal ranks wins
    }
    if (ranks[best] == kNoMerge) break;
    ids[best] = find_merge(ids[best], ids[best + 1])->merged;
    for (size_t i = best + 1; i + 1 < n; ++i) ids[i] = ids[i + 1];
    for (size_t i = best + 1; i + 2 < n; ++i) ranks[i] = ranks[i + 1];
    --n;
    if (best > 0) ranks[best - 1] = rank_of(ids[best - 1], ids[best]);
    if (best + 1 < n) ranks[best] = rank_of(ids[best], ids[best + 1]);
  }
  out.insert(out.end(), ids, ids + n);
}

void BpeModel::encode_word_heap(std::string_view word, std::vector<TokenId>& out) const {
  struct Symbol {
    TokenId id;
    int32_t prev;  // -1: none
    int32_t next;  // -1: none
    bool alive;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;  // index of the left symbol
    TokenId merged;
    // std::priority_queue pops the largest: invert so the lowest rank, then the lowest
    // position (leftmost), comes first, as in HF's BinaryHeap of Merge.
    bool operator<(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  const auto n = static_cast<int32_t>(word.size());
  std::vector<Symbol> symbols(word.size());
  for (int32_t i = 0; i < n; ++i) {
    symbols[i] = {byte_tokens_[static_cast<unsigned char>(word[i])], i - 1, i + 1 < n ? i + 1 : -1,
                  true};
  }
  std::vector<Candidate> storage;
  storage.reserve(word.size());
  std::priority_queue<Candidate> queue(std::less<Candidate>(), std::move(storage));
  auto push_pair = [&](int32_t left) {
    const int32_t right = symbols[left].next;
    if (right < 0) return;
    if (const MergeEntry* entry = find_merge(symbols[left].id, symbols[right].id)) {
      queue.push({entry->rank, left, entry->merged});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    // Stale entry: one of the two symbols changed since this candidate was pushed.
    const MergeEntry* entry = find_merge(left.id, right.id);
    if (entry == nullptr || entry->merged != top.merged || entry->rank != top.rank) continue;
    left.id = top.merged;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.pos);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace qinfer::tokenizer
