// A byte-level context-free grammar, the form every constraint (JSON schema, tool call) is
// compiled to once per request and then shared read-only by the sequences that use it.
//
// Rules are alternatives of element sequences; an element is one byte from a set, a reference to
// a rule, or a JSON string body (everything after the opening quote up to and including the
// closing quote). The string body is one element rather than a recursive rule of characters
// because it is where generation spends most of its tokens: as a single lexeme with a small
// state (UTF-8 / escape position, characters so far) it bounds maxLength without a rule per
// position, and token masks can use per-token tables for it (token_index.h).
//
// Left recursion is rejected when the grammar is built: the matcher expands rule references
// eagerly, which would never end on a left-recursive rule.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace qinfer::constrain {

// 256 bits, one per byte value.
struct ByteSet {
  std::array<uint64_t, 4> bits{};
  bool test(uint8_t byte) const { return (bits[byte >> 6] >> (byte & 63)) & 1; }
  void set(uint8_t byte) { bits[byte >> 6] |= uint64_t{1} << (byte & 63); }
  void set_range(uint8_t first, uint8_t last) {
    for (int b = first; b <= last; ++b) set(static_cast<uint8_t>(b));
  }
  bool operator==(const ByteSet&) const = default;
};

enum class StringFlavor : uint8_t {
  kJson,      // any JSON string: UTF-8 scalars except '"' '\' and controls, plus escapes
  kAsciiKey,  // printable ASCII except '"' and '\', no escapes: its bytes are its value, which
              // lets object grammars keep extra keys apart from the declared ones
};

inline constexpr uint32_t kUnboundedLength = UINT32_MAX;
// Longest maxLength a string element counts to; larger bounds are treated as unbounded (no
// generation gets near 2^27 characters).
inline constexpr uint32_t kMaxCountedLength = (1u << 27) - 1;

struct StringSpec {
  uint32_t min_length = 0;                  // characters (code points), as JSON Schema counts
  uint32_t max_length = kUnboundedLength;
  StringFlavor flavor = StringFlavor::kJson;
  bool operator==(const StringSpec&) const = default;
};

enum class ElementKind : uint8_t { kEnd, kByte, kRule, kString };

struct Element {
  ElementKind kind = ElementKind::kEnd;
  uint32_t arg = 0;  // kByte: ByteSet index; kRule: rule id; kString: StringSpec index
};

struct Rule {
  std::string name;                   // for messages and dumps
  std::vector<uint32_t> alternatives; // start positions in Grammar::elements
};

// Immutable once built. Each alternative is a run of elements ending with kEnd.
struct Grammar {
  std::vector<Element> elements;
  std::vector<Rule> rules;
  std::vector<ByteSet> byte_sets;
  std::vector<StringSpec> strings;
  uint32_t root = 0;

  // GBNF-like text, for tests and debugging.
  std::string dump() const;
};

// One item of an alternative while building.
struct Symbol {
  ElementKind kind = ElementKind::kByte;
  uint32_t arg = 0;
};
using Sequence = std::vector<Symbol>;

class GrammarBuilder {
 public:
  // Declares a rule; give it alternatives with add_alternative (before or after referring to it).
  uint32_t declare(std::string name);
  void add_alternative(uint32_t rule, Sequence sequence);  // an empty sequence matches nothing

  // A rule with the given alternatives.
  uint32_t rule(std::string name, std::vector<Sequence> alternatives);

  Symbol byte_set(const ByteSet& set);
  Symbol byte(uint8_t value);
  Symbol ref(uint32_t rule) const { return {ElementKind::kRule, rule}; }
  Symbol string_body(const StringSpec& spec);  // after an opening '"'; includes the closing one
  // The bytes of `text` one by one, appended to `out`.
  void append_literal(std::string_view text, Sequence& out);
  Sequence literal(std::string_view text);

  // `item` repeated between min and max times (max >= min; kUnbounded for no limit).
  static constexpr uint32_t kUnbounded = UINT32_MAX;
  uint32_t repeat(std::string name, const Sequence& item, uint32_t min, uint32_t max);

  size_t rule_count() const { return rules_.size(); }

  // Checks that every rule has an alternative and none is left-recursive, then flattens.
  Expected<Grammar> build(uint32_t root) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<Sequence>> rules_;
  std::vector<ByteSet> byte_sets_;
  std::vector<StringSpec> strings_;
};

}  // namespace qinfer::constrain
