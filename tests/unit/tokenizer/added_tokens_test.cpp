#include "tokenizer/added_tokens.h"

#include <gtest/gtest.h>

namespace qinfer::tokenizer {
namespace {

TEST(AddedTokenMatcher, LeftmostThenLongest) {
  const AddedTokenMatcher matcher({{"<a>", 1, true}, {"<a>b", 2, false}, {"b<", 3, false}});
  // At offset 1 "b<" starts before "<a>": leftmost wins even though "<a>b" is longer.
  auto match = matcher.find("xb<a>b", 0);
  EXPECT_EQ(match.begin, 1u);
  EXPECT_EQ(match.id, 3);
  // At one position the longest wins.
  match = matcher.find("x<a>bc", 0);
  EXPECT_EQ(match.begin, 1u);
  EXPECT_EQ(match.length, 4u);
  EXPECT_EQ(match.id, 2);
  EXPECT_EQ(matcher.find("no tokens here", 0).length, 0u);
  EXPECT_EQ(matcher.find("<a", 0).length, 0u);  // a prefix at the end is no match
}

TEST(AddedTokenMatcher, SearchesFromOffset) {
  const AddedTokenMatcher matcher({{"<|im_end|>", 7, true}});
  const std::string text = "<|im_end|>x<|im_end|>";
  EXPECT_EQ(matcher.find(text, 1).begin, 11u);
}

}  // namespace
}  // namespace qinfer::tokenizer
