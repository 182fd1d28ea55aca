#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "test_util.h"
#include "tokenizer/byte_level.h"

namespace qinfer::tokenizer {
namespace {

using testing::qwen3;
using Ids = std::vector<TokenId>;

Ids encode(std::string_view text) {
  auto ids = qwen3().encode(text);
  EXPECT_TRUE(ids.ok()) << ids.error().message;
  return ids.ok() ? *ids : Ids{};
}

// Expected ids come from HF tokenizers 0.23.3 (Tokenizer.from_file on the same tokenizer.json).
TEST(Tokenizer, EncodesLikeHf) {
  EXPECT_EQ(encode("Hello, world!"), (Ids{9707, 11, 1879, 0}));
  EXPECT_EQ(encode("12345"), (Ids{16, 17, 18, 19, 20}));
  EXPECT_EQ(encode("don'T I'LL"), (Ids{15007, 17323, 358, 6, 4086}));
  EXPECT_EQ(encode("\t\tx  \r\n"), (Ids{197, 10225, 10419}));
  EXPECT_EQ(encode("👨‍👩‍👧"), (Ids{145367, 378, 235, 145233, 378, 235, 145665}));
  EXPECT_EQ(encode(""), Ids{});
}

TEST(Tokenizer, NormalizesToNfcBeforeBpe) {
  EXPECT_EQ(encode("e\xCC\x81"), (Ids{963}));  // decomposed é encodes as precomposed é
  EXPECT_EQ(encode("\xC3\xA9"), (Ids{963}));
}

TEST(Tokenizer, AddedTokensAreCutOutFirst) {
  EXPECT_EQ(encode("<|im_start|>user\nHi<|im_end|>\n"),
            (Ids{151644, 872, 198, 13048, 151645, 198}));
  EXPECT_EQ(encode("<think>\n\n</think>"), (Ids{151667, 271, 151668}));  // non-special too
  // An unfinished token is plain text; the next complete one is still found.
  EXPECT_EQ(encode("<|im_start<|im_end|>"), (Ids{27, 91, 318, 4906, 151645}));
  EXPECT_EQ(encode("<|im_end|<think>"), (Ids{27, 91, 318, 6213, 91, 151667}));
  EXPECT_EQ(encode("🙂 你好 <|im_start|>x"), (Ids{145080, 220, 108386, 220, 151644, 87}));
}

TEST(Tokenizer, LongWordUsesHeapMergeWithSameResult) {
  const Ids ids = encode(std::string(300, 'a'));
  ASSERT_EQ(ids.size(), 38u);
  EXPECT_EQ(ids[0], 69440);
}

TEST(Tokenizer, InvalidUtf8IsAnErrorNamingTheOffset) {
  auto ids = qwen3().encode("abc\xFF" "def");
  ASSERT_FALSE(ids.ok());
  EXPECT_NE(ids.error().message.find("offset 3"), std::string::npos) << ids.error().message;
  EXPECT_FALSE(qwen3().encode("\xED\xA0\x80").ok());  // an encoded surrogate
  EXPECT_FALSE(qwen3().encode("tail\xE4\xB8").ok());  // truncated at the end
}

TEST(Tokenizer, DecodeRoundTripsAndSkipsOnlySpecialTokens) {
  const std::string text = "<|im_start|>user\n<think>x</think>你好 🙂<|im_end|>";
  const Ids ids = encode(text);
  EXPECT_EQ(*qwen3().decode(ids), text);
  // <|im_start|>/<|im_end|> are special; <think> is an added token with special=false.
  EXPECT_EQ(*qwen3().decode(ids, /*skip_special=*/true), "user\n<think>x</think>你好 🙂");
  EXPECT_TRUE(qwen3().is_special(151645));
  EXPECT_FALSE(qwen3().is_special(151667));
}

TEST(Tokenizer, DecodeReplacesBrokenUtf8LikeHf) {
  const TokenId e6 = *qwen3().token_to_id("æ");  // byte 0xE6
  const TokenId x84 = *qwen3().token_to_id("Ĥ");  // byte 0x84
  // HF: decode([e6, <|im_end|>, x84, x84], skip_special_tokens=True) == "悂" (bytes joined
  // after skipping), and with <think> in between: "\ufffd<think>\ufffd\ufffd".
  EXPECT_EQ(*qwen3().decode(Ids{e6, 151645, x84, x84}, true), "悂");
  EXPECT_EQ(*qwen3().decode(Ids{e6, 151667, x84, x84}, true), "\uFFFD<think>\uFFFD\uFFFD");
}

TEST(Tokenizer, UnknownIdIsAnError) {
  EXPECT_FALSE(qwen3().decode(Ids{1, 999999}).ok());
  EXPECT_FALSE(qwen3().decode(Ids{-1}).ok());
  EXPECT_EQ(qwen3().vocab_size(), 151669u);
}

TEST(Tokenizer, ManyThreadsEncodeTheSame) {
  const std::string text = "Concurrency: 并发 test 123 <|im_end|> done";
  const Ids expected = encode(text);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto ids = qwen3().encode(text + std::to_string(i % 7));
        if (!ids.ok() || !std::equal(expected.begin(), expected.end(), ids->begin())) ++mismatches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Tokenizer, MalformedJsonIsAnError) {
  EXPECT_FALSE(Tokenizer::from_json("{").ok());
  EXPECT_FALSE(Tokenizer::from_json("[]").ok());
  auto missing = Tokenizer::from_json(R"({"normalizer": null})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("tokenizer.json"), std::string::npos);
  EXPECT_FALSE(Tokenizer::from_file("/nonexistent/tokenizer.json").ok());
}

// A tiny byte-level BPE in both merge formats ("a b" strings and [a, b] pairs) gives the same.
std::string tiny_json(bool merges_as_pairs) {
  std::string vocab;
  for (unsigned b = 0; b < 256; ++b) {
    std::string symbol = bytes_to_byte_level(std::string(1, static_cast<char>(b)));
    if (symbol == "\"" || symbol == "\\") symbol = "\\" + symbol;
    vocab += "\"" + symbol + "\": " + std::to_string(b) + ", ";
  }
  vocab += R"("ab": 256, "abc": 257, "Ġab": 258)";
  const std::string merges = merges_as_pairs ? R"([["a", "b"], ["ab", "c"], ["Ġ", "ab"]])"
                                             : R"(["a b", "ab c", "Ġ ab"])";
  return R"({"normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": " ?\\p{L}+|\\s+|."}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "",
      "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
      "vocab": {)" + vocab + R"(}, "merges": )" + merges + R"(},
    "added_tokens": [{"id": 259, "content": "<eos>", "special": true, "normalized": false}],
    "decoder": {"type": "ByteLevel"}})";
}

TEST(Tokenizer, MergesAsStringsOrPairs) {
  for (bool pairs : {false, true}) {
    auto tok = Tokenizer::from_json(tiny_json(pairs));
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    EXPECT_EQ(*tok->encode("abc ab<eos>abx"), (Ids{257, 258, 259, 256, 'x'}));
    EXPECT_EQ(*tok->decode(Ids{257, 258, 259}, true), "abc ab");
  }
}

TEST(Tokenizer, MergeWithUnknownTokenIsAnError) {
  std::string json = tiny_json(false);
  json.replace(json.find("\"ab c\""), 6, "\"ab zz\"");
  auto tok = Tokenizer::from_json(json);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.error().message.find("ab zz"), std::string::npos) << tok.error().message;
}

}  // namespace
}  // namespace qinfer::tokenizer
