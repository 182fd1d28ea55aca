// Token masks on the real Qwen3 vocabulary: equal to trying every token's bytes on the matcher,
// and random sequences of allowed tokens always end in documents that parse and validate (with
// an independent checker). Prints the per-token mask time (not asserted: machines differ).
#include "constrain/token_mask.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "../tokenizer/test_util.h"
#include "constrain/json_schema.h"
#include "schema_check.h"

namespace qinfer::constrain {
namespace {

using Json = nlohmann::ordered_json;
constexpr int64_t kModelVocab = 151936;  // Qwen3's embedding rows
const std::vector<int32_t> kEos = {151643, 151645};

const std::shared_ptr<const TokenIndex>& qwen3_index() {
  static const std::shared_ptr<const TokenIndex> index = [] {
    const tokenizer::Tokenizer& tokenizer = tokenizer::testing::qwen3();
    const auto start = std::chrono::steady_clock::now();
    auto built = TokenIndex::build(tokenizer, kModelVocab);
    EXPECT_TRUE(built.ok()) << built.error().message;
    if (built.ok()) {
      std::printf("[ timing   ] token index: %zu tokens, %zu trie nodes, built in %.0f ms\n",
                  (*built)->token_count(), (*built)->trie().size(),
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            start).count());
    }
    return built.ok() ? *built : nullptr;
  }();
  return index;
}

bool survives(Matcher& matcher, std::string_view bytes) {
  std::vector<Head> current(matcher.heads().begin(), matcher.heads().end()), next;
  for (const char c : bytes) {
    next.clear();
    matcher.step(current, static_cast<uint8_t>(c), next);
    if (next.empty()) return false;
    current.swap(next);
  }
  return true;
}

// Compares the mask with the token-by-token answer; returns the number of allowed tokens.
size_t expect_mask_exact(Matcher& matcher, const std::string& where) {
  const TokenIndex& index = *qwen3_index();
  TokenMasker masker(qwen3_index());
  std::vector<uint64_t> mask(mask_words(kModelVocab));
  masker.compute(matcher, kEos, mask);
  size_t allowed = 0, mismatches = 0;
  for (int32_t id = 0; id < kModelVocab; ++id) {
    const std::string_view bytes = index.token_bytes(id);
    bool expected = !bytes.empty() && survives(matcher, bytes);
    if (std::find(kEos.begin(), kEos.end(), id) != kEos.end()) expected = matcher.is_complete();
    const bool got = mask_test(mask, id);
    allowed += got;
    if (got != expected && ++mismatches <= 5) {
      ADD_FAILURE() << where << ": token " << id << " '" << bytes << "' expected " << expected;
    }
  }
  return allowed;
}

struct SchemaCase {
  const char* name;
  const char* schema;
  const char* document;  // a valid document: its prefixes are the tested states
};

const std::vector<SchemaCase>& schema_cases() {
  static const std::vector<SchemaCase> cases = {
      {"strict object", R"({"type": "object", "properties": {
          "name": {"type": "string", "maxLength": 12},
          "age": {"type": "integer"},
          "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 3},
          "ok": {"type": "boolean"}},
          "required": ["name", "age"], "additionalProperties": false})",
       R"({"name": "Zoë \"Z\" 中文", "age": -42, "tags": ["a", "c"], "ok": true})"},
      {"open object", R"({"type": "object", "properties": {"id": {"type": "string"}},
          "required": ["id"]})",
       R"({"id": "x\u00e9y", "idx": {"a": [1.5e3, null]}, "z": false})"},
      {"nested anyOf", R"({"type": "object", "properties": {"v": {"anyOf": [
          {"type": "number"}, {"type": "string", "minLength": 2}, {"type": "null"}]},
          "w": {"type": "array", "items": {"type": "object", "properties": {
          "k": {"const": "K"}}, "required": ["k"], "additionalProperties": false},
          "minItems": 1}}, "required": ["v", "w"], "additionalProperties": false})",
       R"({"v": "ab\ncd", "w": [{"k": "K"}, {"k": "K"}]})"},
      {"json_object", nullptr, R"({"a": "b", "c": [1, {"d": true}], "e": "\ud83d"})"},
      {"recursive", R"({"$defs": {"t": {"type": "object", "properties": {
          "kids": {"type": "array", "items": {"$ref": "#/$defs/t"}}, "n": {"type": "integer"}},
          "required": ["n"], "additionalProperties": false}}, "$ref": "#/$defs/t"})",
       R"({"n": 1, "kids": [{"n": 2}, {"n": 3, "kids": []}]})"},
  };
  return cases;
}

std::shared_ptr<const Grammar> grammar_of(const SchemaCase& c) {
  if (c.schema == nullptr) return any_json_object();
  auto grammar = compile_json_schema(Json::parse(c.schema));
  EXPECT_TRUE(grammar.ok()) << grammar.error().message;
  return *grammar;
}

TEST(TokenMask, EqualsTryingEveryToken) {
  ASSERT_NE(qwen3_index(), nullptr);
  for (const SchemaCase& c : schema_cases()) {
    const auto grammar = grammar_of(c);
    Matcher matcher(grammar);
    const std::string document = c.document;
    // Prefixes ending at every few bytes, some inside strings and multi-byte characters.
    for (size_t end = 0; end <= document.size(); end += 3) {
      Matcher state(grammar);
      if (!state.accept(document.substr(0, end))) {
        // "\ud83d" is not allowed (a surrogate): the document stops being valid there.
        break;
      }
      expect_mask_exact(state, std::string(c.name) + " after '" + document.substr(0, end) + "'");
    }
  }
}

TEST(TokenMask, CompleteDocumentAllowsOnlyEos) {
  auto grammar = compile_json_schema(Json::parse(R"({"type": "object", "properties": {
      "a": {"type": "integer"}}, "additionalProperties": false})"));
  ASSERT_TRUE(grammar.ok());
  Matcher matcher(*grammar);
  ASSERT_TRUE(matcher.accept(R"({"a":1})"));
  EXPECT_EQ(expect_mask_exact(matcher, "complete"), kEos.size());
}

struct Generated {
  std::string text;
  bool finished = false;
};

// Draws uniformly among the allowed tokens (a model with no preference at all) until the
// document is complete and nothing more can follow, or an EOS is drawn.
Generated generate(const std::shared_ptr<const Grammar>& grammar, uint64_t seed, int max_tokens,
                   std::vector<double>& mask_us) {
  Matcher matcher(grammar);
  TokenMasker masker(qwen3_index());
  std::vector<uint64_t> mask(mask_words(kModelVocab));
  std::vector<int32_t> allowed;
  allowed.reserve(kModelVocab);
  std::mt19937_64 rng(seed);
  Generated out;
  for (int step = 0; step < max_tokens; ++step) {
    const auto start = std::chrono::steady_clock::now();
    masker.compute(matcher, kEos, mask);
    mask_us.push_back(std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start).count());
    allowed.clear();
    for (size_t w = 0; w < mask.size(); ++w) {
      for (uint64_t bits = mask[w]; bits != 0; bits &= bits - 1) {
        allowed.push_back(static_cast<int32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
      }
    }
    if (allowed.empty()) {
      ADD_FAILURE() << "no token allowed after '" << out.text << "'";
      return out;
    }
    const int32_t token = allowed[rng() % allowed.size()];
    if (std::find(kEos.begin(), kEos.end(), token) != kEos.end()) {
      out.finished = true;
      return out;
    }
    const std::string_view bytes = masker.index().token_bytes(token);
    if (!matcher.accept(bytes)) {
      ADD_FAILURE() << "allowed token " << token << " rejected after '" << out.text << "'";
      return out;
    }
    out.text += bytes;
    if (matcher.is_complete() && !matcher.can_accept_more()) {
      out.finished = true;
      return out;
    }
  }
  return out;
}

void print_timing(const char* what, std::vector<double> us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  double total = 0;
  for (const double u : us) total += u;
  std::printf("[ timing   ] %s: %zu masks, mean %.1f us, median %.1f us, p99 %.1f us, max %.1f us\n",
              what, us.size(), total / static_cast<double>(us.size()), us[us.size() / 2],
              us[us.size() * 99 / 100], us.back());
}

TEST(TokenMask, RandomTokensAlwaysMakeValidDocuments) {
  ASSERT_NE(qwen3_index(), nullptr);
  std::vector<double> all_us;
  for (const SchemaCase& c : schema_cases()) {
    const auto grammar = grammar_of(c);
    const Json schema = c.schema == nullptr ? Json::parse(R"({"type": "object"})")
                                            : Json::parse(c.schema);
    std::vector<double> us;
    int finished = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      const Generated g = generate(grammar, seed, 1500, us);
      if (!g.finished) continue;  // the budget ran out: truncated, as finish_reason "length"
      ++finished;
      EXPECT_EQ(testing::check_document(g.text, schema), "") << c.name << ": " << g.text;
    }
    // Uniform draws rarely close an open object (most tokens after a value start another
    // member), so only some runs finish; each finished one must be valid.
    EXPECT_GE(finished, 1) << c.name;
    std::printf("[ finished ] %s: %d of 8 within 1500 tokens\n", c.name, finished);
    print_timing(c.name, us);
    all_us.insert(all_us.end(), us.begin(), us.end());
  }
  print_timing("all schemas", all_us);
}

TEST(TokenMask, ToolCallsParseIntoNameAndValidArguments) {
  const Json tools = Json::parse(R"([
    {"type": "function", "function": {"name": "get_order_status", "parameters": {
      "type": "object", "properties": {"order_id": {"type": "string", "maxLength": 10},
      "verbose": {"type": "boolean"}}, "required": ["order_id"],
      "additionalProperties": false}}},
    {"type": "function", "function": {"name": "track_parcel", "parameters": {
      "type": "object", "properties": {"carrier": {"enum": ["dhl", "ups"]},
      "number": {"type": "integer"}}, "required": ["carrier", "number"],
      "additionalProperties": false}}}])");
  for (const bool forced : {false, true}) {
    auto grammar = tool_call_grammar(tools, forced ? std::optional<std::string>("track_parcel")
                                                   : std::nullopt);
    ASSERT_TRUE(grammar.ok()) << grammar.error().message;
    std::vector<double> us;
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      const Generated g = generate(*grammar, seed, 3000, us);
      if (!g.finished) continue;
      const std::string open = "<tool_call>\n", close = "\n</tool_call>";
      ASSERT_TRUE(g.text.starts_with(open) && g.text.ends_with(close)) << g.text;
      const Json call =
          Json::parse(g.text.substr(open.size(), g.text.size() - open.size() - close.size()));
      const std::string name = call.at("name");
      if (forced) {
        EXPECT_EQ(name, "track_parcel");
      }
      const Json* parameters = nullptr;
      for (const Json& tool : tools) {
        if (tool["function"]["name"] == name) parameters = &tool["function"]["parameters"];
      }
      ASSERT_NE(parameters, nullptr) << name;
      EXPECT_EQ(testing::check_schema(call.at("arguments"), *parameters, *parameters), "")
          << g.text;
    }
    print_timing(forced ? "tool call (named)" : "tool call (required)", us);
  }
}

}  // namespace
}  // namespace qinfer::constrain
