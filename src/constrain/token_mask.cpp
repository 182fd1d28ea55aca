#include "constrain/token_mask.h"

#include <algorithm>

#include "constrain/string_lexeme.h"

namespace qinfer::constrain {

TokenMasker::TokenMasker(std::shared_ptr<const TokenIndex> index)
    : index_(std::move(index)), levels_(index_->max_token_bytes() + 1) {
  for (auto& level : levels_) level.reserve(16);
  string_heads_.reserve(16);
  after_string_.reserve(16);
  run_a_.reserve(16);
  run_b_.reserve(16);
}

void TokenMasker::split_string_heads(const Matcher& matcher, std::vector<Head>& heads,
                                     std::vector<Head>& string_heads) {
  string_heads.clear();
  size_t kept = 0;
  for (const Head head : heads) {
    if (matcher.string_spec(head) != nullptr && string_state(head.sub) == kAtBoundary) {
      string_heads.push_back(head);
    } else {
      heads[kept++] = head;
    }
  }
  heads.resize(kept);
}

void TokenMasker::compute(Matcher& matcher, std::span<const int32_t> eos_ids,
                          std::span<uint64_t> mask) {
  std::fill(mask.begin(), mask.end(), 0);
  if (matcher.is_complete()) {
    for (const int32_t id : eos_ids) {
      if (id >= 0 && id < index_->model_vocab_size()) mask_set(mask, id);
    }
  }
  walk(matcher, mask);
}

void TokenMasker::walk(Matcher& matcher, std::span<uint64_t> mask) {
  const std::vector<TrieNode>& trie = index_->trie();
  std::vector<Head>& root = levels_[0];
  root.assign(matcher.heads().begin(), matcher.heads().end());
  split_string_heads(matcher, root, string_heads_);
  for (const Head head : string_heads_) resolve_string_head(matcher, head, 0, 0, mask);
  if (root.empty()) return;

  uint32_t i = 1;
  while (i < trie.size()) {
    const TrieNode& node = trie[i];
    std::vector<Head>& heads = levels_[node.depth];
    heads.clear();
    matcher.step(levels_[node.depth - 1], node.byte, heads);
    split_string_heads(matcher, heads, string_heads_);
    for (const Head head : string_heads_) resolve_string_head(matcher, head, i, node.depth, mask);
    if (heads.empty()) {
      i = node.subtree_end;
      continue;
    }
    for (uint32_t s = node.tok_begin; s < node.ends_end; ++s) mask_set(mask, index_->sorted_id(s));
    ++i;
  }
}

void TokenMasker::resolve_string_head(Matcher& matcher, Head head, uint32_t node, uint32_t depth,
                                      std::span<uint64_t> mask) {
  const StringSpec& spec = *matcher.string_spec(head);
  const uint32_t count = string_count(head.sub);
  const bool bounded = spec.max_length != kUnboundedLength;
  // Characters a token may still start inside the string (the count saturates when unbounded).
  const uint32_t room = bounded ? spec.max_length - count : UINT32_MAX;
  const uint32_t needed = count >= spec.min_length ? 0 : spec.min_length - count;
  bool continuation_known = false;
  // A token that closes the string: its characters fit and the rest follows the string.
  const auto try_closing = [&](uint32_t s, StringScan scan) {
    const int32_t id = index_->sorted_id(s);
    if (scan.characters > room || scan.characters < needed || mask_test(mask, id)) return;
    if (!continuation_known) {
      after_string_.clear();
      matcher.after_string(head, after_string_);
      continuation_known = true;
    }
    if (survives(matcher, after_string_, index_->sorted_bytes(s).substr(scan.end))) {
      mask_set(mask, id);
    }
  };

  if (node == 0) {  // the whole vocabulary: use the grouped scans
    const TokenIndex::RootStringScans& root = index_->root_scans(spec.flavor);
    const size_t inside = root.inside_ids.size();
    if (inside > 0 && root.inside_characters[inside - 1] <= room) {
      for (size_t w = 0; w < mask.size(); ++w) mask[w] |= root.inside[w];
    } else {
      for (size_t i = 0; i < inside && root.inside_characters[i] <= room; ++i) {
        mask_set(mask, root.inside_ids[i]);
      }
    }
    for (const uint32_t s : root.closing) try_closing(s, index_->string_scan(spec.flavor, s, 0));
    return;
  }
  const TrieNode& trie_node = index_->trie()[node];
  for (uint32_t s = trie_node.tok_begin; s < trie_node.tok_end; ++s) {
    const StringScan scan = index_->string_scan(spec.flavor, s, depth);
    if (scan.end == StringScan::kInvalid) continue;
    if (scan.end == StringScan::kInside) {
      if (scan.characters <= room) mask_set(mask, index_->sorted_id(s));
      continue;
    }
    try_closing(s, scan);
  }
}

bool TokenMasker::survives(Matcher& matcher, std::span<const Head> from, std::string_view bytes) {
  if (bytes.empty()) return !from.empty();
  std::vector<Head>* current = &run_a_;
  current->clear();
  matcher.step(from, static_cast<uint8_t>(bytes[0]), *current);
  for (size_t i = 1; i < bytes.size() && !current->empty(); ++i) {
    std::vector<Head>& next = current == &run_a_ ? run_b_ : run_a_;
    next.clear();
    matcher.step(*current, static_cast<uint8_t>(bytes[i]), next);
    current = &next;
  }
  return !current->empty();
}

}  // namespace qinfer::constrain
