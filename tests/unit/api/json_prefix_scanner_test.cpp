#include "api/json_prefix_scanner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace qinfer::api {
namespace {

using Step = JsonValueScanner::Step;

// Feeds `text`; returns the number of bytes consumed before the value completed, or -1 if it
// did not complete, or -2 if a byte was invalid.
int scan(const std::string& text) {
  JsonValueScanner scanner;
  for (size_t i = 0; i < text.size(); ++i) {
    const Step step = scanner.push(text[i]);
    if (step == Step::kInvalid) return -2;
    if (step == Step::kComplete) return static_cast<int>(i + 1);
    if (step == Step::kCompleteBefore) return static_cast<int>(i);
  }
  return -1;
}

TEST(JsonValueScanner, AcceptsWhatNlohmannAccepts) {
  const char* documents[] = {
      R"({})", R"([])", R"("")", R"({"a": 1})", R"({"a": [1, 2.5, -3e+4, 0, -0.0, 1E2]})",
      R"({"s": "tab\t quote\" back\\ slash\/ \u00e9\uD83D\uDE00 ok"})", R"([true, false, null])",
      R"({"nested": {"deep": [[{"x": {}}]]}, "b": "</tool_call>"})", R"(  {"ws" :  [ 1 , 2 ] }  )",
      "\"\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80\"", R"([{"a":{"b":[null]}}])"};
  for (const char* document : documents) {
    const std::string text = document;
    ASSERT_TRUE(nlohmann::json::accept(text)) << text;
    const size_t end = text.find_last_not_of(' ') + 1;
    EXPECT_EQ(scan(text), static_cast<int>(end)) << text;
  }
}

TEST(JsonValueScanner, RejectsAtTheFirstImpossibleByte) {
  EXPECT_EQ(scan(R"({"a" 1})"), -2);
  EXPECT_EQ(scan(R"({a: 1})"), -2);
  EXPECT_EQ(scan(R"({"a": 1,})"), -2);
  EXPECT_EQ(scan(R"([1,])"), -2);
  EXPECT_EQ(scan(R"([1 2])"), -2);
  EXPECT_EQ(scan(R"({"a": tru})"), -2);
  EXPECT_EQ(scan(R"({"a": nul})"), -2);
  EXPECT_EQ(scan(R"({"a": 01})"), -2);
  EXPECT_EQ(scan(R"({"a": 1.})"), -2);
  EXPECT_EQ(scan(R"({"a": -})"), -2);
  EXPECT_EQ(scan(R"({"a": 1e})"), -2);
  EXPECT_EQ(scan(R"({"a": "\x"})"), -2);
  EXPECT_EQ(scan(R"({"a": "\u12G4"})"), -2);
  EXPECT_EQ(scan("{\"a\": \"line\nbreak\"}"), -2);
  EXPECT_EQ(scan(R"({"a": 1])"), -2);
  EXPECT_EQ(scan(R"([1})"), -2);
  EXPECT_EQ(scan(R"(})"), -2);
  EXPECT_EQ(scan(R"('a')"), -2);
}

TEST(JsonValueScanner, PrefixesAreIncompleteNotInvalid) {
  const std::string text = R"({"a": [1, {"b": "c\u00e9"}, 2.5e-3, true], "d": null})";
  for (size_t cut = 0; cut < text.size(); ++cut) {
    EXPECT_EQ(scan(text.substr(0, cut)), -1) << text.substr(0, cut);
  }
}

TEST(JsonValueScanner, TopLevelNumbersEndAtTheNextByte) {
  JsonValueScanner scanner;
  EXPECT_EQ(scanner.push('4'), Step::kContinue);
  EXPECT_EQ(scanner.push('2'), Step::kContinue);
  EXPECT_EQ(scanner.push('}'), Step::kCompleteBefore);
  EXPECT_TRUE(scanner.complete());
  EXPECT_EQ(scanner.push(' '), Step::kInvalid);
  EXPECT_TRUE(scanner.complete());
}

TEST(JsonValueScanner, DeepNestingNeedsNoRecursion) {
  const std::string text = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(scan(text), static_cast<int>(text.size()));
}

}  // namespace
}  // namespace qinfer::api
