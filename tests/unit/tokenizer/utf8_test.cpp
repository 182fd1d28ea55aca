#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace qinfer::tokenizer {
namespace {

const std::string kFffd(kReplacementCharUtf8);

TEST(Utf8, FindsFirstIllFormedByte) {
  EXPECT_EQ(find_invalid_utf8("plain ascii text, long enough for the 8-byte skip"), 49u);
  EXPECT_EQ(find_invalid_utf8("你好🙂"), std::string("你好🙂").size());
  EXPECT_EQ(find_invalid_utf8("ab\xC3"), 2u);             // truncated
  EXPECT_EQ(find_invalid_utf8("ab\xC0\x80"), 2u);         // overlong NUL
  EXPECT_EQ(find_invalid_utf8("a\xED\xA0\x80"), 1u);      // surrogate U+D800
  EXPECT_EQ(find_invalid_utf8("a\xF4\x90\x80\x80"), 1u);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("abcdefgh\x80"), 8u);       // stray continuation after ASCII run
}

// Expected strings are what Python's bytes.decode("utf-8", "replace") and Rust's
// String::from_utf8_lossy produce: one U+FFFD per maximal subpart.
TEST(Utf8, LossyReplacesMaximalSubparts) {
  EXPECT_EQ(to_utf8_lossy("a\xE4\xB8z"), "a" + kFffd + "z");       // truncated 3-byte: one
  EXPECT_EQ(to_utf8_lossy("\xC0\x80"), kFffd + kFffd);             // C0 never valid: each byte
  EXPECT_EQ(to_utf8_lossy("\xED\xA0\x80"), kFffd + kFffd + kFffd); // surrogate: each byte
  EXPECT_EQ(to_utf8_lossy("\xF0\x9F\x98"), kFffd);                 // truncated emoji at end
  EXPECT_EQ(to_utf8_lossy("\xF0\x9F\x98\xF0\x9F\x98\x80"), kFffd + "😀");
  EXPECT_EQ(to_utf8_lossy("\xFF"), kFffd);
  EXPECT_EQ(to_utf8_lossy("ok"), "ok");
}

TEST(Utf8, StreamingHoldsBackIncompleteTail) {
  std::string out;
  EXPECT_EQ(append_utf8_lossy("x\xF0\x9F", /*end_of_input=*/false, out), 1u);
  EXPECT_EQ(out, "x");
  // A byte that cannot continue the sequence is not held: the subpart is replaced at once.
  out.clear();
  EXPECT_EQ(append_utf8_lossy("\xF0\x9F" "a", false, out), 3u);
  EXPECT_EQ(out, kFffd + "a");
}

}  // namespace
}  // namespace qinfer::tokenizer
