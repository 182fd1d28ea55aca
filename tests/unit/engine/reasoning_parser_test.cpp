#include "chat/reasoning_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qinfer::chat {
namespace {

struct Split {
  std::string reasoning;
  std::string content;
};

Split feed(const std::vector<std::string>& pieces, bool starts_in_reasoning = false) {
  ReasoningParser parser(starts_in_reasoning);
  Split out;
  for (const std::string& piece : pieces) {
    const ReasoningDelta delta = parser.push(piece);
    out.reasoning += delta.reasoning;
    out.content += delta.content;
  }
  const ReasoningDelta last = parser.finish();
  out.reasoning += last.reasoning;
  out.content += last.content;
  return out;
}

// Every way of cutting `text` in two, and one byte at a time, must give the same split.
void expect_split_everywhere(const std::string& text, const std::string& reasoning,
                             const std::string& content, bool starts_in_reasoning = false) {
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const Split split = feed({text.substr(0, cut), text.substr(cut)}, starts_in_reasoning);
    EXPECT_EQ(split.reasoning, reasoning) << "cut at " << cut;
    EXPECT_EQ(split.content, content) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  const Split split = feed(bytes, starts_in_reasoning);
  EXPECT_EQ(split.reasoning, reasoning);
  EXPECT_EQ(split.content, content);
}

TEST(ReasoningParser, SplitsQwen3ThinkingOutputWhereverPiecesEnd) {
  expect_split_everywhere("<think>\nLet me think.\nTwo steps.\n</think>\n\nThe answer is 4.",
                          "Let me think.\nTwo steps.", "The answer is 4.");
}

TEST(ReasoningParser, OutputWithoutThinkIsAllContent) {
  expect_split_everywhere("Hello <think> there", "", "Hello <think> there");
  expect_split_everywhere("<b>bold</b>", "", "<b>bold</b>");
}

TEST(ReasoningParser, TagsAfterTheAnswerBeganAreText) {
  expect_split_everywhere("Hi </think> <think>x</think>", "", "Hi </think> <think>x</think>");
}

TEST(ReasoningParser, EmptyThinkBlockGivesNoReasoning) {
  expect_split_everywhere("<think>\n\n</think>\n\nDone.", "", "Done.");
}

// Exactly the newlines the Qwen3 template strips when it reads an answer back from history go:
// anything else would change the tokens a later turn re-renders (and lose the KV cache reuse).
TEST(ReasoningParser, OnlyTheTemplatesNewlinePaddingIsDropped) {
  expect_split_everywhere("<think>\n a \n\n b  \n\n</think>\n\n  c \n", " a \n\n b  ", "  c \n");
  expect_split_everywhere(" licenses licenses", "", " licenses licenses");
  expect_split_everywhere("\n\nanswer", "", "\n\nanswer");
}

TEST(ReasoningParser, HoldsBackAPossibleTagUntilDecided) {
  ReasoningParser parser;
  ReasoningDelta delta = parser.push("<thi");
  EXPECT_EQ(delta.content, "");
  delta = parser.push("nk>abc</th");
  EXPECT_EQ(delta.reasoning, "abc");
  EXPECT_TRUE(parser.in_reasoning());
  delta = parser.push("ink>");
  EXPECT_EQ(delta.reasoning, "");
  EXPECT_FALSE(parser.in_reasoning());
  delta = parser.push("x");
  EXPECT_EQ(delta.content, "x");
  EXPECT_TRUE(parser.saw_reasoning());
}

TEST(ReasoningParser, UnfinishedTagAtTheEndIsText) {
  const Split split = feed({"<thi"});
  EXPECT_EQ(split.content, "<thi");
  const Split inside = feed({"<think>abc</thi"});
  EXPECT_EQ(inside.reasoning, "abc</thi");
  EXPECT_EQ(inside.content, "");
}

TEST(ReasoningParser, StartsInReasoningWhenThePromptOpenedTheBlock) {
  expect_split_everywhere("\nplan\n</think>\n\nanswer", "plan", "answer",
                          /*starts_in_reasoning=*/true);
}

TEST(ReasoningParser, MultibyteTextAroundTagsStaysWhole) {
  expect_split_everywhere("<think>思考🙂</think>答案é", "思考🙂", "答案é");
}

}  // namespace
}  // namespace qinfer::chat
