#include "tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

namespace qinfer::tokenizer {
namespace {

std::vector<std::string> split(std::string_view text) {
  static const RegexSplitter splitter = std::move(RegexSplitter::create(kQwen2Pattern).value());
  auto pieces = splitter.split_to_vector(text);
  EXPECT_TRUE(pieces.ok());
  return pieces.ok() ? *pieces : std::vector<std::string>{};
}

using Pieces = std::vector<std::string>;

// Expected pieces are HF's pre_tokenizer.pre_tokenize_str() on Qwen3's tokenizer.json.
TEST(Pretokenizer, QwenPatternSplitsLikeHf) {
  EXPECT_EQ(split("Hello, world!"), (Pieces{"Hello", ",", " world", "!"}));
  EXPECT_EQ(split("12345"), (Pieces{"1", "2", "3", "4", "5"}));  // one digit per piece
  EXPECT_EQ(split("don'T I'LL"), (Pieces{"don", "'T", " I", "'LL"}));
  EXPECT_EQ(split("\t\tx  \r\n"), (Pieces{"\t", "\tx", "  \r\n"}));
  EXPECT_EQ(split("a   b"), (Pieces{"a", "  ", " b"}));  // \s+(?!\S) leaves one space
  EXPECT_EQ(split("x\xC2\xA0\xC2\xA0y"), (Pieces{"x", "\xC2\xA0", "\xC2\xA0y"}));
  EXPECT_EQ(split("你好，世界"), (Pieces{"你好", "，世界"}));
  EXPECT_EQ(split(""), Pieces{});
}

TEST(Pretokenizer, TranslatesWhitespaceClassToOnigurumaMeaning) {
  EXPECT_EQ(oniguruma_to_pcre2(R"(\s+(?!\S)|[^\s\p{L}]|\\s|\\)"),
            R"(\p{White_Space}+(?!\P{White_Space})|[^\p{White_Space}\p{L}]|\\s|\\)");
  // U+180E is not White_Space (HF: ['a', '\u180eb']); raw PCRE2 \s would make it a space.
  EXPECT_EQ(split("a\u180Eb"), (Pieces{"a", "\u180Eb"}));
  EXPECT_EQ(split("x\u3000\u3000y"), (Pieces{"x", "\u3000", "\u3000y"}));
}

TEST(Pretokenizer, PiecesCoverTheInput) {
  const std::string text = "  mixed 文本 with 123 and ... \r\n\r\n  end  ";
  std::string joined;
  for (const auto& piece : split(text)) joined += piece;
  EXPECT_EQ(joined, text);
}

TEST(Pretokenizer, HugeWordDoesNotOverflowJitStack) {
  const std::string word(4 << 20, 'a');
  const auto pieces = split(word);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].size(), word.size());
}

TEST(Pretokenizer, BadPatternIsAnError) {
  auto splitter = RegexSplitter::create("(unclosed");
  ASSERT_FALSE(splitter.ok());
  EXPECT_NE(splitter.error().message.find("does not compile"), std::string::npos);
}

TEST(Pretokenizer, LiteralPattern) {
  auto splitter = RegexSplitter::create("a.b", /*is_literal=*/true);
  ASSERT_TRUE(splitter.ok());
  EXPECT_EQ(*splitter->split_to_vector("xa.bya_b"), (Pieces{"x", "a.b", "ya_b"}));
}

}  // namespace
}  // namespace qinfer::tokenizer
