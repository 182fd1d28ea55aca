#include "constrain/json_rules.h"

#include <fmt/format.h>

#include <algorithm>

namespace qinfer::constrain {
namespace {

ByteSet digit_set(char first) {
  ByteSet set;
  set.set_range(static_cast<uint8_t>(first), '9');
  return set;
}

bool is_plain_ascii_key(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
  });
}

}  // namespace

Symbol JsonRules::ws() {
  if (ws_ == UINT32_MAX) ws_ = b_.rule("ws", {b_.literal(" "), {}});
  return b_.ref(ws_);
}

uint32_t JsonRules::string(const StringSpec& spec) {
  for (const auto& [known, rule] : strings_) {
    if (known == spec) return rule;
  }
  Sequence body = b_.literal("\"");
  body.push_back(b_.string_body(spec));
  const uint32_t rule = b_.rule(
      spec == StringSpec{} ? std::string("string")
                           : fmt::format("string-{}-{}", spec.min_length, spec.max_length),
      {std::move(body)});
  strings_.push_back({spec, rule});
  return rule;
}

uint32_t JsonRules::digits(uint32_t min, uint32_t max) {
  const auto key = std::make_pair(min, max);
  if (const auto it = digits_.find(key); it != digits_.end()) return it->second;
  const uint32_t rule =
      b_.repeat(fmt::format("digits-{}-{}", min, max), {b_.byte_set(digit_set('0'))}, min, max);
  digits_[key] = rule;
  return rule;
}

uint32_t JsonRules::integer() {
  if (integer_ != UINT32_MAX) return integer_;
  const uint32_t sign = b_.rule("minus", {b_.literal("-"), {}});
  const uint32_t magnitude = b_.rule(
      "int-digits", {b_.literal("0"), {b_.byte_set(digit_set('1')), b_.ref(digits(0, 15))}});
  integer_ = b_.rule("integer", {{b_.ref(sign), b_.ref(magnitude)}});
  return integer_;
}

uint32_t JsonRules::number() {
  if (number_ != UINT32_MAX) return number_;
  Sequence fraction = b_.literal(".");
  fraction.push_back(b_.ref(digits(1, 16)));
  const uint32_t fraction_rule = b_.rule("fraction", {std::move(fraction), {}});
  ByteSet e;
  e.set('e');
  e.set('E');
  const uint32_t exponent_sign = b_.rule("exp-sign", {b_.literal("+"), b_.literal("-"), {}});
  const uint32_t exponent = b_.rule(
      "exponent", {{b_.byte_set(e), b_.ref(exponent_sign), b_.ref(digits(1, 2))}, {}});
  number_ = b_.rule("number", {{b_.ref(integer()), b_.ref(fraction_rule), b_.ref(exponent)}});
  return number_;
}

uint32_t JsonRules::boolean() {
  if (boolean_ == UINT32_MAX) boolean_ = b_.rule("boolean", {b_.literal("true"), b_.literal("false")});
  return boolean_;
}

uint32_t JsonRules::null() {
  if (null_ == UINT32_MAX) null_ = b_.rule("null", {b_.literal("null")});
  return null_;
}

uint32_t JsonRules::any_value(int depth) {
  if (const auto it = values_.find(depth); it != values_.end()) return it->second;
  std::vector<Sequence> alternatives = {{b_.ref(string({}))}, {b_.ref(number())},
                                        {b_.ref(boolean())}, {b_.ref(null())}};
  if (depth > 0) {
    alternatives.push_back({b_.ref(any_object(depth))});
    alternatives.push_back({b_.ref(any_array(depth))});
  }
  const uint32_t rule = b_.rule(fmt::format("value-d{}", depth), std::move(alternatives));
  values_[depth] = rule;
  return rule;
}

uint32_t JsonRules::any_object(int depth) {
  if (const auto it = objects_.find(depth); it != objects_.end()) return it->second;
  // object ::= "{" ( "}" | member rest ) ; rest ::= "," ws member rest | "}"
  Sequence member = {b_.ref(string({}))};
  b_.append_literal(":", member);
  member.push_back(ws());
  member.push_back(b_.ref(any_value(depth - 1)));
  const uint32_t rest = b_.declare(fmt::format("object-rest-d{}", depth));
  Sequence more = b_.literal(",");
  more.push_back(ws());
  more.insert(more.end(), member.begin(), member.end());
  more.push_back(b_.ref(rest));
  b_.add_alternative(rest, std::move(more));
  b_.add_alternative(rest, b_.literal("}"));
  Sequence first = member;
  first.push_back(b_.ref(rest));
  const uint32_t body = b_.rule(fmt::format("object-body-d{}", depth), {b_.literal("}"), first});
  Sequence object = b_.literal("{");
  object.push_back(b_.ref(body));
  const uint32_t rule = b_.rule(fmt::format("object-d{}", depth), {std::move(object)});
  objects_[depth] = rule;
  return rule;
}

uint32_t JsonRules::any_array(int depth) {
  if (const auto it = arrays_.find(depth); it != arrays_.end()) return it->second;
  const uint32_t item = any_value(depth - 1);
  const uint32_t rest = b_.declare(fmt::format("array-rest-d{}", depth));
  Sequence more = b_.literal(",");
  more.push_back(ws());
  more.push_back(b_.ref(item));
  more.push_back(b_.ref(rest));
  b_.add_alternative(rest, std::move(more));
  b_.add_alternative(rest, b_.literal("]"));
  const uint32_t body =
      b_.rule(fmt::format("array-body-d{}", depth), {b_.literal("]"), {b_.ref(item), b_.ref(rest)}});
  Sequence array = b_.literal("[");
  array.push_back(b_.ref(body));
  const uint32_t rule = b_.rule(fmt::format("array-d{}", depth), {std::move(array)});
  arrays_[depth] = rule;
  return rule;
}

uint32_t JsonRules::key_excluding(const std::vector<std::string>& names) {
  // Names that are not plain ASCII can never equal such a key: only the others enter the trie.
  struct TrieNode {
    std::map<uint8_t, size_t> children;
    bool terminal = false;
  };
  std::vector<TrieNode> trie(1);
  for (const std::string& name : names) {
    if (!is_plain_ascii_key(name)) continue;
    size_t node = 0;
    for (const char c : name) {
      const auto byte = static_cast<uint8_t>(c);
      auto it = trie[node].children.find(byte);
      if (it == trie[node].children.end()) {
        trie.emplace_back();
        it = trie[node].children.emplace(byte, trie.size() - 1).first;
      }
      node = it->second;
    }
    trie[node].terminal = true;
  }
  const Symbol rest = b_.string_body({0, kUnboundedLength, StringFlavor::kAsciiKey});
  std::vector<uint32_t> rules(trie.size());
  for (size_t i = 0; i < trie.size(); ++i) rules[i] = b_.declare(fmt::format("key-excl-{}", i));
  for (size_t i = 0; i < trie.size(); ++i) {
    ByteSet other;
    for (int c = 0x20; c <= 0x7E; ++c) {
      if (c != '"' && c != '\\' && !trie[i].children.contains(static_cast<uint8_t>(c))) {
        other.set(static_cast<uint8_t>(c));
      }
    }
    for (const auto& [byte, child] : trie[i].children) {
      b_.add_alternative(rules[i], {b_.byte(byte), b_.ref(rules[child])});
    }
    if (other != ByteSet{}) b_.add_alternative(rules[i], {b_.byte_set(other), rest});
    if (!trie[i].terminal) b_.add_alternative(rules[i], b_.literal("\""));
  }
  Sequence key = b_.literal("\"");
  key.push_back(b_.ref(rules[0]));
  return b_.rule("key-excluding", {std::move(key)});
}

}  // namespace qinfer::constrain
