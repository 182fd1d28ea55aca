#include "tokenizer/streaming_detokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "test_util.h"
#include "tokenizer/utf8.h"

namespace qinfer::tokenizer {
namespace {

using testing::qwen3;

TEST(StreamingDetokenizer, HoldsSplitCharacterUntilComplete) {
  // U+200D (ZWJ, E2 80 8D) is split by Qwen's BPE into "âĢ" (E2 80) and "į" (8D).
  StreamingDetokenizer stream(qwen3());
  std::string chunk;
  ASSERT_TRUE(stream.push(*qwen3().token_to_id("âĢ"), chunk).ok());
  EXPECT_EQ(chunk, "");
  EXPECT_EQ(stream.pending_bytes(), 2u);
  ASSERT_TRUE(stream.push(*qwen3().token_to_id("į"), chunk).ok());
  EXPECT_EQ(chunk, "\xE2\x80\x8D");
  EXPECT_EQ(stream.pending_bytes(), 0u);
}

TEST(StreamingDetokenizer, IncompleteTailBecomesReplacementAtFinish) {
  StreamingDetokenizer stream(qwen3());
  std::string text;
  ASSERT_TRUE(stream.push(*qwen3().token_to_id("ok"), text).ok());
  ASSERT_TRUE(stream.push(*qwen3().token_to_id("æ"), text).ok());  // lone 0xE6
  EXPECT_EQ(text, "ok");
  stream.finish(text);
  EXPECT_EQ(text, "ok\uFFFD");
}

TEST(StreamingDetokenizer, UnknownIdIsAnErrorAndKeepsState) {
  StreamingDetokenizer stream(qwen3());
  std::string text;
  ASSERT_TRUE(stream.push(*qwen3().token_to_id("âĢ"), text).ok());
  EXPECT_FALSE(stream.push(999999, text).ok());
  ASSERT_TRUE(stream.push(*qwen3().token_to_id("į"), text).ok());
  EXPECT_EQ(text, "\xE2\x80\x8D");
}

// Every chunk is valid UTF-8 and the chunks concatenate to decode(): on real text with
// emoji/CJK and on random ids (which produce plenty of broken sequences).
TEST(StreamingDetokenizer, ChunksAreValidAndMatchDecode) {
  std::mt19937 rng(7);
  std::vector<std::vector<TokenId>> cases;
  cases.push_back(*qwen3().encode("👨‍👩‍👧 家族 🇯🇵 café <|im_end|> naïve 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"));
  for (int i = 0; i < 200; ++i) {
    std::vector<TokenId> ids;
    for (int j = 0; j < 30; ++j) ids.push_back(static_cast<TokenId>(rng() % qwen3().vocab_size()));
    cases.push_back(ids);
  }
  for (bool skip_special : {false, true}) {
    for (const auto& ids : cases) {
      StreamingDetokenizer stream(qwen3(), skip_special);
      std::string all;
      for (TokenId id : ids) {
        std::string chunk;
        ASSERT_TRUE(stream.push(id, chunk).ok());
        ASSERT_TRUE(is_valid_utf8(chunk));
        all += chunk;
      }
      std::string tail;
      stream.finish(tail);
      ASSERT_TRUE(is_valid_utf8(tail));
      all += tail;
      EXPECT_EQ(all, *qwen3().decode(ids, skip_special));
    }
  }
}

}  // namespace
}  // namespace qinfer::tokenizer
