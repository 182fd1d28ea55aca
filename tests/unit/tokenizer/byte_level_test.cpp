#include "tokenizer/byte_level.h"

#include <gtest/gtest.h>

#include <set>

namespace qinfer::tokenizer {
namespace {

TEST(ByteLevel, KnownGpt2Mappings) {
  EXPECT_EQ(byte_to_unicode(' '), U'\u0120');   // 'Ġ'
  EXPECT_EQ(byte_to_unicode('\n'), U'\u010A');  // 'Ċ'
  EXPECT_EQ(byte_to_unicode('\t'), U'\u0109');  // 'ĉ'
  EXPECT_EQ(byte_to_unicode('A'), U'A');
  EXPECT_EQ(byte_to_unicode(0xE4), U'\u00E4');  // 'ä' stands for itself
  EXPECT_EQ(byte_to_unicode(0xAD), U'\u0143');  // soft hyphen is the last remapped byte
  EXPECT_EQ(byte_to_unicode(0x00), U'\u0100');
}

TEST(ByteLevel, IsABijectionOnAllBytes) {
  std::set<char32_t> seen;
  for (unsigned b = 0; b < 256; ++b) {
    const char32_t cp = byte_to_unicode(static_cast<unsigned char>(b));
    EXPECT_TRUE(seen.insert(cp).second) << "byte " << b;
    ASSERT_TRUE(unicode_to_byte(cp).has_value());
    EXPECT_EQ(*unicode_to_byte(cp), b);
  }
  EXPECT_FALSE(unicode_to_byte(U'\u0144').has_value());
  EXPECT_FALSE(unicode_to_byte(U' ').has_value());  // space is remapped, so U+0020 is not used
}

TEST(ByteLevel, RoundTripsArbitraryBytes) {
  std::string all;
  for (unsigned b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string text = bytes_to_byte_level(all);
  EXPECT_EQ(byte_level_to_bytes(text), all);
  EXPECT_EQ(bytes_to_byte_level("你"), "\xC3\xA4\xC2\xBD\xC5\x82");  // "ä½ł": 0xA0 -> U+0142
}

TEST(ByteLevel, TokenOutsideAlphabetDecodesToItsOwnBytes) {
  // HF's ByteLevel decoder falls back to the token's UTF-8 when a char is not in the alphabet.
  EXPECT_EQ(token_text_to_bytes("<|im_end|>"), "<|im_end|>");
  EXPECT_EQ(token_text_to_bytes("a b"), "a b");
  EXPECT_EQ(token_text_to_bytes("Ġhello"), " hello");
  EXPECT_EQ(token_text_to_bytes("你"), "你");
}

}  // namespace
}  // namespace qinfer::tokenizer
