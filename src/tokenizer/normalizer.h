// Unicode NFC, the normalizer Qwen3's tokenizer.json names ({"type": "NFC"}), via utf8proc.
#pragma once

#include <string>
#include <string_view>

#include "base/expected.h"

namespace qinfer::tokenizer {

// True when every code point of `text` (valid UTF-8) is in a range proven to be NFC-inert:
// no canonical decomposition, combining class 0, and never the second half of a canonical
// composition. Any string made only of such code points is its own NFC, so normalization can
// be skipped (the common case: ASCII, Latin-1, CJK ideographs, kana). The proof is the unit test
// NormalizerTest.FastPathRangesAreNfcInert, which checks every code point against utf8proc.
bool is_nfc_inert(std::string_view text);

// True when the single code point `cp` belongs to the NFC-inert ranges above.
bool is_nfc_inert_code_point(char32_t cp);

// NFC of `text`, which must be valid UTF-8 (callers validate first). Appends to `out`.
Status append_nfc(std::string_view text, std::string& out);

}  // namespace qinfer::tokenizer
