// JSON's building blocks as grammar rules, made once per grammar and shared by every place a
// schema uses them.
//
// Bounded on purpose, so that a model that does not "want" to stop (random weights, a confused
// small model) still reaches the end of a document instead of looping until max_tokens:
//  - whitespace: at most one space, and only after ':' and ',' (the compact form and Python's
//    json.dumps form both fit);
//  - numbers: at most 16 integer digits, 16 fraction digits and a 2-digit exponent (doubles
//    cannot hold more; 1e999 would overflow most parsers);
//  - free-form values (json_object, schemas without constraints): nesting depth at most
//    kAnyValueDepth.
// Strings are unbounded unless the schema gives maxLength.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "constrain/grammar.h"

namespace qinfer::constrain {

inline constexpr int kAnyValueDepth = 5;

class JsonRules {
 public:
  explicit JsonRules(GrammarBuilder& builder) : b_(builder) {}

  Symbol ws();                               // "" or " "
  uint32_t string(const StringSpec& spec);   // '"' body '"'
  uint32_t number();
  uint32_t integer();
  uint32_t boolean();
  uint32_t null();
  // Any JSON value / object / array nested at most `depth` levels (0: scalars only for values).
  uint32_t any_value(int depth = kAnyValueDepth);
  uint32_t any_object(int depth = kAnyValueDepth);
  uint32_t any_array(int depth = kAnyValueDepth);
  // An object key (with its quotes) that is none of `names`: printable ASCII without escapes,
  // compared byte by byte against the names along a trie of them.
  uint32_t key_excluding(const std::vector<std::string>& names);

 private:
  uint32_t digits(uint32_t min, uint32_t max);

  GrammarBuilder& b_;
  uint32_t ws_ = UINT32_MAX, number_ = UINT32_MAX, integer_ = UINT32_MAX;
  uint32_t boolean_ = UINT32_MAX, null_ = UINT32_MAX;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> digits_;
  std::vector<std::pair<StringSpec, uint32_t>> strings_;
  std::map<int, uint32_t> values_, objects_, arrays_;
};

}  // namespace qinfer::constrain
