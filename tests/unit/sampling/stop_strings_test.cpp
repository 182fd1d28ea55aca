#include "sampling/stop_strings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qinfer {
namespace {

struct Outcome {
  std::string shown;  // everything emitted, flush included when no stop string completed
  bool stopped = false;
  int stop_index = -1;
  std::vector<std::string> per_piece;  // what each push emitted
};

Outcome run(const std::vector<std::string>& stops, const std::vector<std::string>& pieces) {
  Expected<StopMatcher> matcher = StopMatcher::create(stops);
  EXPECT_TRUE(matcher.ok());
  Outcome outcome;
  for (const std::string& piece : pieces) {
    const StopMatcher::Step step = matcher->push(piece);
    outcome.per_piece.emplace_back(step.emit);
    outcome.shown += step.emit;
    if (step.stopped) {
      outcome.stopped = true;
      outcome.stop_index = step.stop_index;
      EXPECT_TRUE(matcher->push("more").stopped);
      EXPECT_TRUE(matcher->push("more").emit.empty());
      EXPECT_TRUE(matcher->flush().empty());
      return outcome;
    }
  }
  outcome.shown += matcher->flush();
  return outcome;
}

TEST(StopMatcher, StopStringSplitAcrossOneToFourPieces) {
  const std::vector<std::vector<std::string>> splits = {
      {"Hello</stop>tail"},
      {"Hello</st", "op>tail"},
      {"Hello<", "/sto", "p>tail"},
      {"Hello", "</", "stop", ">tail"},
  };
  for (const auto& pieces : splits) {
    const Outcome outcome = run({"</stop>"}, pieces);
    EXPECT_TRUE(outcome.stopped);
    EXPECT_EQ(outcome.stop_index, 0);
    EXPECT_EQ(outcome.shown, "Hello");
  }
  // Four single-character pieces, emitted text held back exactly while it could be the stop.
  const Outcome held = run({"abcd"}, {"x", "a", "b", "c", "d"});
  EXPECT_EQ(held.per_piece, (std::vector<std::string>{"x", "", "", "", ""}));
  EXPECT_TRUE(held.stopped);
}

TEST(StopMatcher, HeldBackTextIsReleasedWhenTheMatchFails) {
  const Outcome outcome = run({"abc"}, {"xa", "b", "d", "ab"});
  EXPECT_EQ(outcome.per_piece, (std::vector<std::string>{"x", "", "abd", ""}));
  EXPECT_FALSE(outcome.stopped);
  EXPECT_EQ(outcome.shown, "xabdab");  // flush returns the held "ab" at the end
}

TEST(StopMatcher, OverlappingPrefixes) {
  // "ab" completes first and wins over "abc".
  Outcome outcome = run({"abc", "ab"}, {"xa", "bc"});
  EXPECT_TRUE(outcome.stopped);
  EXPECT_EQ(outcome.stop_index, 1);
  EXPECT_EQ(outcome.shown, "x");
  // "abc" cannot hide behind "bcd": "aabcd" stops at "abc" (earliest start).
  outcome = run({"bcd", "abc"}, {"aa", "bcd"});
  EXPECT_EQ(outcome.stop_index, 1);
  EXPECT_EQ(outcome.shown, "a");
  // A partial match that fails may start another: "aab" holds "ab" then completes "abc".
  outcome = run({"abc"}, {"aa", "b", "c"});
  EXPECT_EQ(outcome.per_piece, (std::vector<std::string>{"a", "", ""}));
  EXPECT_EQ(outcome.shown, "a");
  // Self-overlapping stop: "aab" in "aaab".
  outcome = run({"aab"}, {"a", "a", "a", "b"});
  EXPECT_EQ(outcome.shown, "a");
  EXPECT_TRUE(outcome.stopped);
}

TEST(StopMatcher, Utf8MultiByteStopStrings) {
  // "。\n" = E3 80 82 0A and an emoji (4 bytes) split across pieces mid-character.
  Outcome outcome = run({"。\n", "🙂"}, {"你好\xE3\x80", "\x82", "\n后面"});
  EXPECT_TRUE(outcome.stopped);
  EXPECT_EQ(outcome.stop_index, 0);
  EXPECT_EQ(outcome.shown, "你好");
  outcome = run({"。\n", "🙂"}, {"ok \xF0\x9F", "\x99", "\x82!"});
  EXPECT_EQ(outcome.stop_index, 1);
  EXPECT_EQ(outcome.shown, "ok ");
  // A character sharing a lead byte with the stop is held, then released whole.
  outcome = run({"。"}, {"a\xE3\x80", "\x81" "b"});  // 、 = E3 80 81
  EXPECT_EQ(outcome.per_piece, (std::vector<std::string>{"a", "\xE3\x80\x81" "b"}));
  EXPECT_EQ(outcome.shown, "a、b");
  EXPECT_FALSE(outcome.stopped);
}

TEST(StopMatcher, NoStopStringsPassEverythingThrough) {
  const Outcome outcome = run({}, {"a", "bc", ""});
  EXPECT_EQ(outcome.per_piece, (std::vector<std::string>{"a", "bc", ""}));
}

TEST(StopMatcher, RejectsEmptyAndInvalidStopStrings) {
  EXPECT_FALSE(StopMatcher::create({"ok", ""}).ok());
  EXPECT_FALSE(StopMatcher::create({"\xE3\x80"}).ok());   // truncated character
  EXPECT_FALSE(StopMatcher::create({"\xC0\xAF"}).ok());   // overlong '/'
  EXPECT_FALSE(StopMatcher::create({"\xED\xA0\x80"}).ok());  // surrogate
  EXPECT_TRUE(StopMatcher::create({"<|im_end|>", "。"}).ok());
  EXPECT_TRUE(is_valid_utf8("héllo 你好 🙂"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
}

}  // namespace
}  // namespace qinfer
