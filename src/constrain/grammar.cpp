#include "constrain/grammar.h"

#include <fmt/format.h>

#include <algorithm>

namespace qinfer::constrain {
namespace {

std::string byte_set_text(const ByteSet& set) {
  int count = 0;
  for (int b = 0; b < 256; ++b) count += set.test(static_cast<uint8_t>(b));
  const auto printable = [](int b) {
    return b >= 0x20 && b < 0x7f && b != '\\' && b != ']' && b != '"' && b != '-'
               ? std::string(1, static_cast<char>(b))
               : fmt::format("\\x{:02x}", b);
  };
  if (count == 1) {
    for (int b = 0; b < 256; ++b) {
      if (set.test(static_cast<uint8_t>(b))) return fmt::format("\"{}\"", printable(b));
    }
  }
  std::string text = "[";
  for (int b = 0; b < 256;) {
    if (!set.test(static_cast<uint8_t>(b))) {
      ++b;
      continue;
    }
    int end = b;
    while (end + 1 < 256 && set.test(static_cast<uint8_t>(end + 1))) ++end;
    text += printable(b);
    if (end > b) text += fmt::format("-{}", printable(end));
    b = end + 1;
  }
  text += ']';
  return text;
}

}  // namespace

std::string Grammar::dump() const {
  std::string text;
  for (size_t r = 0; r < rules.size(); ++r) {
    text += fmt::format("{}{} ::=", r == root ? "*" : "", rules[r].name);
    for (size_t a = 0; a < rules[r].alternatives.size(); ++a) {
      if (a > 0) text += " |";
      for (uint32_t pos = rules[r].alternatives[a]; elements[pos].kind != ElementKind::kEnd;
           ++pos) {
        const Element& e = elements[pos];
        switch (e.kind) {
          case ElementKind::kByte:
            text += ' ';
            text += byte_set_text(byte_sets[e.arg]);
            break;
          case ElementKind::kRule:
            text += ' ';
            text += rules[e.arg].name;
            break;
          case ElementKind::kString: {
            const StringSpec& s = strings[e.arg];
            text += fmt::format(" <string{} {}..{}>",
                                s.flavor == StringFlavor::kAsciiKey ? "-ascii" : "", s.min_length,
                                s.max_length == kUnboundedLength ? std::string("")
                                                                 : std::to_string(s.max_length));
            break;
          }
          case ElementKind::kEnd: break;
        }
      }
      if (elements[rules[r].alternatives[a]].kind == ElementKind::kEnd) text += " ()";
    }
    text += "\n";
  }
  return text;
}

uint32_t GrammarBuilder::declare(std::string name) {
  names_.push_back(std::move(name));
  rules_.emplace_back();
  return static_cast<uint32_t>(rules_.size() - 1);
}

void GrammarBuilder::add_alternative(uint32_t rule, Sequence sequence) {
  rules_[rule].push_back(std::move(sequence));
}

uint32_t GrammarBuilder::rule(std::string name, std::vector<Sequence> alternatives) {
  const uint32_t id = declare(std::move(name));
  rules_[id] = std::move(alternatives);
  return id;
}

Symbol GrammarBuilder::byte_set(const ByteSet& set) {
  const auto it = std::find(byte_sets_.begin(), byte_sets_.end(), set);
  if (it != byte_sets_.end()) {
    return {ElementKind::kByte, static_cast<uint32_t>(it - byte_sets_.begin())};
  }
  byte_sets_.push_back(set);
  return {ElementKind::kByte, static_cast<uint32_t>(byte_sets_.size() - 1)};
}

Symbol GrammarBuilder::byte(uint8_t value) {
  ByteSet set;
  set.set(value);
  return byte_set(set);
}

Symbol GrammarBuilder::string_body(const StringSpec& spec) {
  StringSpec normalized = spec;
  if (normalized.max_length > kMaxCountedLength) normalized.max_length = kUnboundedLength;
  normalized.min_length = std::min(normalized.min_length, kMaxCountedLength);
  const auto it = std::find(strings_.begin(), strings_.end(), normalized);
  if (it != strings_.end()) {
    return {ElementKind::kString, static_cast<uint32_t>(it - strings_.begin())};
  }
  strings_.push_back(normalized);
  return {ElementKind::kString, static_cast<uint32_t>(strings_.size() - 1)};
}

void GrammarBuilder::append_literal(std::string_view text, Sequence& out) {
  for (const char c : text) out.push_back(byte(static_cast<uint8_t>(c)));
}

Sequence GrammarBuilder::literal(std::string_view text) {
  Sequence out;
  append_literal(text, out);
  return out;
}

uint32_t GrammarBuilder::repeat(std::string name, const Sequence& item, uint32_t min,
                                uint32_t max) {
  // The optional tail after the `min` mandatory items: a self-recursive rule when unbounded
  // (right recursion: the matcher's tail calls keep its stack flat), else a chain of nested
  // optionals, one rule per extra item.
  Sequence tail;
  if (max == kUnbounded) {
    const uint32_t more = declare(name + "-more");
    Sequence again = item;
    again.push_back(ref(more));
    add_alternative(more, std::move(again));
    add_alternative(more, {});
    tail.push_back(ref(more));
  } else if (max > min) {
    uint32_t next = UINT32_MAX;
    for (uint32_t k = 0; k < max - min; ++k) {
      const uint32_t opt = declare(fmt::format("{}-opt{}", name, k));
      Sequence once = item;
      if (next != UINT32_MAX) once.push_back(ref(next));
      add_alternative(opt, std::move(once));
      add_alternative(opt, {});
      next = opt;
    }
    tail.push_back(ref(next));
  }
  Sequence body;
  for (uint32_t k = 0; k < min; ++k) body.insert(body.end(), item.begin(), item.end());
  body.insert(body.end(), tail.begin(), tail.end());
  return rule(std::move(name), {std::move(body)});
}

Expected<Grammar> GrammarBuilder::build(uint32_t root) const {
  const size_t n = rules_.size();
  if (root >= n) return make_error("grammar root rule {} does not exist", root);
  for (size_t r = 0; r < n; ++r) {
    if (rules_[r].empty()) return make_error("grammar rule '{}' has no alternative", names_[r]);
  }
  // Nullable rules (a fixpoint), then the "starts with" graph: r -> s when s can be the first
  // thing r expands to; a cycle in it is left recursion.
  std::vector<char> nullable(n, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r) {
      if (nullable[r]) continue;
      for (const Sequence& alt : rules_[r]) {
        const bool all = std::all_of(alt.begin(), alt.end(), [&](const Symbol& s) {
          return s.kind == ElementKind::kRule && nullable[s.arg];
        });
        if (all) {
          nullable[r] = 1;
          changed = true;
          break;
        }
      }
    }
  }
  std::vector<std::vector<uint32_t>> starts(n);
  for (size_t r = 0; r < n; ++r) {
    for (const Sequence& alt : rules_[r]) {
      for (const Symbol& s : alt) {
        if (s.kind != ElementKind::kRule) break;
        starts[r].push_back(s.arg);
        if (!nullable[s.arg]) break;
      }
    }
  }
  std::vector<char> color(n, 0);  // 0 new, 1 on the DFS path, 2 done
  std::vector<std::pair<uint32_t, size_t>> path;
  for (uint32_t start = 0; start < n; ++start) {
    if (color[start]) continue;
    path.push_back({start, 0});
    color[start] = 1;
    while (!path.empty()) {
      auto& [r, next] = path.back();
      if (next == starts[r].size()) {
        color[r] = 2;
        path.pop_back();
        continue;
      }
      const uint32_t s = starts[r][next++];
      if (color[s] == 1) return make_error("grammar rule '{}' is left-recursive", names_[s]);
      if (color[s] == 0) {
        color[s] = 1;
        path.push_back({s, 0});
      }
    }
  }

  Grammar grammar;
  grammar.root = root;
  grammar.byte_sets = byte_sets_;
  grammar.strings = strings_;
  grammar.rules.resize(n);
  for (size_t r = 0; r < n; ++r) {
    grammar.rules[r].name = names_[r];
    for (const Sequence& alt : rules_[r]) {
      grammar.rules[r].alternatives.push_back(static_cast<uint32_t>(grammar.elements.size()));
      for (const Symbol& s : alt) grammar.elements.push_back({s.kind, s.arg});
      grammar.elements.push_back({ElementKind::kEnd, 0});
    }
  }
  return grammar;
}

}  // namespace qinfer::constrain
