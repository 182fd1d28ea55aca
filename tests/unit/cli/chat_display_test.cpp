#include "cli/chat_display.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace qinfer::cli {
namespace {

// Runs `pieces` of model output through the reasoning parser into a ChatDisplay writing to a
// temporary file, and returns what a user would see.
std::string render(const std::vector<std::string>& pieces, bool ansi) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  ChatDisplay display(file, ansi);
  chat::ReasoningParser parser;
  display.begin_answer();
  for (const std::string& piece : pieces) display.show(parser.push(piece));
  display.show(parser.finish());
  display.end_answer();
  std::string out(static_cast<size_t>(std::ftell(file)), '\0');
  std::rewind(file);
  EXPECT_EQ(std::fread(out.data(), 1, out.size(), file), out.size());
  std::fclose(file);
  return out;
}

const std::vector<std::string> kThinking = {"<think>", "\n", "Hmm", ", easy", ".\n", "</think>",
                                            "\n\n", "It is", " 4."};

TEST(ChatDisplay, PipeMarksReasoningAndAnswerWithoutEscapeCodes) {
  EXPECT_EQ(render(kThinking, false), "[thinking]\nHmm, easy.\n[answer]\nIt is 4.\n");
}

TEST(ChatDisplay, TerminalShowsReasoningDimAndTheAnswerPlain) {
  EXPECT_EQ(render(kThinking, true), "\x1b[2;90mHmm, easy.\x1b[0m\n\nIt is 4.\n");
}

TEST(ChatDisplay, AnswerWithoutReasoningIsShownAsIs) {
  EXPECT_EQ(render({"Hi", " there\n"}, false), "Hi there\n");
  EXPECT_EQ(render({"Hi"}, true), "Hi\n");
  EXPECT_EQ(render({}, false), "\n");  // an empty answer still ends its line
}

TEST(ChatDisplay, UnfinishedReasoningIsClosedOnATerminal) {
  EXPECT_EQ(render({"<think>\nstill thinking"}, true), "\x1b[2;90mstill thinking\x1b[0m\n");
}

}  // namespace
}  // namespace qinfer::cli
