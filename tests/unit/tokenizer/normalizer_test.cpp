#include "tokenizer/normalizer.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdlib>

#include "tokenizer/utf8.h"

namespace qinfer::tokenizer {
namespace {

std::string nfc(std::string_view text) {
  std::string out;
  EXPECT_TRUE(append_nfc(text, out).ok());
  return out;
}

TEST(Normalizer, ComposesCombiningMarks) {
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");                 // e + U+0301 -> é
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1"), "가");        // Hangul jamo L+V -> syllable
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");              // Angstrom sign -> Å (singleton)
  EXPECT_EQ(nfc("a\xCC\x88\xCC\xA3"), "\xE1\xBA\xA1\xCC\x88");  // reorders by combining class
  EXPECT_EQ(nfc("ｆｕｌｌ"), "ｆｕｌｌ");                   // NFC, not NFKC: width kept
  EXPECT_EQ(nfc("plain"), "plain");
}

TEST(Normalizer, FastPathOnlyForInertText) {
  EXPECT_TRUE(is_nfc_inert("hello, 世界！ カタカナ ひらがな"));
  EXPECT_FALSE(is_nfc_inert("e\xCC\x81"));
  EXPECT_FALSE(is_nfc_inert("\xE3\x81\x8B\xE3\x82\x99"));  // か + combining voiced mark
  EXPECT_FALSE(is_nfc_inert("🙂"));                         // astral: exact path
}

// The proof behind is_nfc_inert(): every code point of the fast-path ranges has NFC_Quick_Check
// = Yes and combining class 0, and by UAX #15's quick-check algorithm a string of such code
// points is in NFC. NFC_QC=Yes is checked conservatively from utf8proc's data: the code point is
// its own NFC (not a singleton or composition exclusion) and it never appears after the first
// position of any canonical decomposition (so it cannot compose with a preceding character).
TEST(Normalizer, FastPathRangesAreNfcInert) {
  std::vector<bool> is_second(0x110000, false);
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    utf8proc_int32_t buffer[8];
    int last_class = 0;
    const utf8proc_ssize_t n = utf8proc_decompose_char(
        static_cast<utf8proc_int32_t>(cp), buffer, 8, UTF8PROC_DECOMPOSE, &last_class);
    ASSERT_GT(n, 0);
    for (utf8proc_ssize_t i = 1; i < n && i < 8; ++i) is_second[buffer[i]] = true;
  }
  size_t checked = 0;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if (!is_nfc_inert_code_point(cp)) continue;
    ++checked;
    const utf8proc_property_t* property = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
    EXPECT_EQ(property->combining_class, 0) << std::hex << static_cast<uint32_t>(cp);
    std::string single;
    append_utf8(single, cp);
    utf8proc_uint8_t* composed = nullptr;
    const utf8proc_ssize_t length = utf8proc_map(
        reinterpret_cast<const utf8proc_uint8_t*>(single.data()), static_cast<utf8proc_ssize_t>(single.size()),
        &composed, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    ASSERT_GE(length, 0);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(composed), static_cast<size_t>(length)), single)
        << "U+" << std::hex << static_cast<uint32_t>(cp) << " changes under NFC";
    std::free(composed);
    EXPECT_FALSE(is_second[cp]) << "U+" << std::hex << static_cast<uint32_t>(cp) << " composes";
  }
  EXPECT_GT(checked, 20000u);
}

}  // namespace
}  // namespace qinfer::tokenizer
