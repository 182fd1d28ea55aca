// Where a sequence is in its grammar: a set of parse stacks, advanced byte by byte.
//
// A stack is a chain of nodes (position in Grammar::elements, the node to continue with when
// this rule's alternative ends), interned in a per-matcher table so that equal stacks are equal
// indices: head sets deduplicate by comparing two integers, copying a stack is copying an index,
// and the table only holds the distinct grammar contexts the document has been in (rule
// references in tail position reuse their caller's continuation, so repetition does not grow
// stacks). A head is a stack whose top is a byte or string element, plus that string's state.
// Several heads exist while the grammar is ambiguous so far (optional properties, anyOf); a
// byte keeps the heads that accept it, so the set is what an Earley parser would hold for this
// grammar class, without its bookkeeping.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "constrain/grammar.h"

namespace qinfer::constrain {

struct Head {
  uint32_t node = 0;  // stack top (Matcher::kAcceptNode: the whole document is complete)
  uint32_t sub = 0;   // string element state (string_lexeme.h); 0 elsewhere
  bool operator==(const Head&) const = default;
};

class Matcher {
 public:
  static constexpr uint32_t kAcceptNode = 0;

  explicit Matcher(std::shared_ptr<const Grammar> grammar);

  // Advances over `bytes` if the grammar allows all of them; otherwise returns false and leaves
  // the state as it was.
  bool accept(std::string_view bytes);
  // A whole document has been produced (it may still be extended, e.g. a top-level number).
  bool is_complete() const;
  // Some byte can still be accepted.
  bool can_accept_more() const;
  // No head is left: only after misuse (accept() never leaves this state).
  bool is_dead() const { return heads_.empty(); }

  // For the token masker (token_mask.h): the current heads, and one-byte steps of any head set.
  std::span<const Head> heads() const { return heads_; }
  const Grammar& grammar() const { return *grammar_; }
  // Appends to `out` (without duplicates) the heads `from` reaches by `byte`.
  void step(std::span<const Head> from, uint8_t byte, std::vector<Head>& out);
  // The string spec when `head` is inside a string element, else nullptr.
  const StringSpec* string_spec(Head head) const;
  // Appends the heads after `head`'s string element has closed (its count is not checked).
  void after_string(Head head, std::vector<Head>& out);
  size_t node_count() const { return nodes_.size(); }

 private:
  struct Node {
    uint32_t pos = 0;     // index into grammar elements
    uint32_t parent = 0;  // continuation node, or kNoParent at the root
  };
  static constexpr uint32_t kNoParent = UINT32_MAX;
  static constexpr uint32_t kNoNode = UINT32_MAX;

  uint32_t intern(uint32_t pos, uint32_t parent);
  // Expands node into heads: rule references into their alternatives, ends into continuations.
  void close(uint32_t node, std::vector<Head>& out, int depth);
  // The heads after the element at `node` is done.
  void advance(uint32_t node, std::vector<Head>& out);

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> table_;  // open addressing over nodes_ by (pos, parent); kNoNode free
  std::vector<Head> heads_;
  std::vector<Head> scratch_a_, scratch_b_;
};

// Appends `head` unless present. Head sets are small (usually 1-4): a scan beats hashing.
inline void add_head(std::vector<Head>& heads, Head head) {
  for (const Head& h : heads) {
    if (h == head) return;
  }
  heads.push_back(head);
}

}  // namespace qinfer::constrain
