#include "constrain/matcher.h"

#include <cassert>

#include "constrain/string_lexeme.h"

namespace qinfer::constrain {
namespace {

// Expansion depth is bounded by the grammar (no left recursion), this only guards misuse.
constexpr int kMaxCloseDepth = 4096;

uint64_t node_hash(uint32_t pos, uint32_t parent) {
  uint64_t x = (uint64_t{pos} << 32) | parent;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

Matcher::Matcher(std::shared_ptr<const Grammar> grammar) : grammar_(std::move(grammar)) {
  nodes_.reserve(1024);
  table_.assign(2048, kNoNode);
  nodes_.push_back({UINT32_MAX, kNoParent});  // kAcceptNode, never interned
  for (const uint32_t start : grammar_->rules[grammar_->root].alternatives) {
    close(intern(start, kNoParent), heads_, 0);
  }
}

uint32_t Matcher::intern(uint32_t pos, uint32_t parent) {
  if (nodes_.size() * 2 >= table_.size()) {  // keep the load under 1/2
    table_.assign(table_.size() * 2, kNoNode);
    const size_t mask = table_.size() - 1;
    for (uint32_t i = 1; i < nodes_.size(); ++i) {
      size_t slot = node_hash(nodes_[i].pos, nodes_[i].parent) & mask;
      while (table_[slot] != kNoNode) slot = (slot + 1) & mask;
      table_[slot] = i;
    }
  }
  const size_t mask = table_.size() - 1;
  size_t slot = node_hash(pos, parent) & mask;
  while (table_[slot] != kNoNode) {
    const Node& node = nodes_[table_[slot]];
    if (node.pos == pos && node.parent == parent) return table_[slot];
    slot = (slot + 1) & mask;
  }
  const auto index = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back({pos, parent});
  table_[slot] = index;
  return index;
}

void Matcher::close(uint32_t node, std::vector<Head>& out, int depth) {
  if (depth > kMaxCloseDepth) {
    assert(false && "grammar expansion too deep");
    return;
  }
  const Node n = nodes_[node];
  const Element& element = grammar_->elements[n.pos];
  switch (element.kind) {
    case ElementKind::kEnd:
      if (n.parent == kNoParent) {
        add_head(out, {kAcceptNode, 0});
      } else {
        close(n.parent, out, depth + 1);
      }
      return;
    case ElementKind::kRule: {
      // A reference in tail position returns straight to our caller's continuation.
      const bool tail = grammar_->elements[n.pos + 1].kind == ElementKind::kEnd;
      const uint32_t ret = tail ? n.parent : intern(n.pos + 1, n.parent);
      for (const uint32_t start : grammar_->rules[element.arg].alternatives) {
        close(intern(start, ret), out, depth + 1);
      }
      return;
    }
    case ElementKind::kByte:
    case ElementKind::kString:
      add_head(out, {node, 0});
      return;
  }
}

void Matcher::advance(uint32_t node, std::vector<Head>& out) {
  const Node n = nodes_[node];
  if (grammar_->elements[n.pos + 1].kind == ElementKind::kEnd) {
    if (n.parent == kNoParent) {
      add_head(out, {kAcceptNode, 0});
    } else {
      close(n.parent, out, 0);
    }
    return;
  }
  close(intern(n.pos + 1, n.parent), out, 0);
}

void Matcher::step(std::span<const Head> from, uint8_t byte, std::vector<Head>& out) {
  for (const Head head : from) {
    if (head.node == kAcceptNode) continue;
    const Element& element = grammar_->elements[nodes_[head.node].pos];
    if (element.kind == ElementKind::kByte) {
      if (grammar_->byte_sets[element.arg].test(byte)) advance(head.node, out);
      continue;
    }
    assert(element.kind == ElementKind::kString);
    const StringStep s = string_step(grammar_->strings[element.arg], head.sub, byte);
    if (s.kind == StringStep::kContinue) {
      add_head(out, {head.node, s.sub});
    } else if (s.kind == StringStep::kClose) {
      advance(head.node, out);
    }
  }
}

const StringSpec* Matcher::string_spec(Head head) const {
  if (head.node == kAcceptNode) return nullptr;
  const Element& element = grammar_->elements[nodes_[head.node].pos];
  return element.kind == ElementKind::kString ? &grammar_->strings[element.arg] : nullptr;
}

void Matcher::after_string(Head head, std::vector<Head>& out) { advance(head.node, out); }

bool Matcher::accept(std::string_view bytes) {
  std::vector<Head>* current = &heads_;
  for (const char c : bytes) {
    std::vector<Head>& next = current == &scratch_a_ ? scratch_b_ : scratch_a_;
    next.clear();
    step(*current, static_cast<uint8_t>(c), next);
    if (next.empty()) return false;
    current = &next;
  }
  if (current != &heads_) heads_.swap(*current);
  return true;
}

bool Matcher::is_complete() const {
  for (const Head& h : heads_) {
    if (h.node == kAcceptNode) return true;
  }
  return false;
}

bool Matcher::can_accept_more() const {
  for (const Head& h : heads_) {
    if (h.node != kAcceptNode) return true;
  }
  return false;
}

}  // namespace qinfer::constrain
