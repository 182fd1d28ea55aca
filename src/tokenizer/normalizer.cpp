#include "tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace qinfer::tokenizer {

bool is_nfc_inert_code_point(char32_t cp) {
  // Below U+0300 (where combining diacritics start) nothing decomposes or composes as a
  // second element. The other ranges are the bulk of CJK text; U+3099..U+309A (kana voicing
  // marks) and U+302A..U+302F (ideographic tone marks) are deliberately left out.
  return cp < 0x300 || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3000 && cp <= 0x3029) ||
         (cp >= 0x3030 && cp <= 0x303F) || (cp >= 0x3041 && cp <= 0x3096) ||
         (cp >= 0x30A1 && cp <= 0x30FA) || (cp >= 0xFF01 && cp <= 0xFF5E);
}

bool is_nfc_inert(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char lead = p[i];
    if (lead < 0xCC) {  // ASCII, a continuation byte, or a 2-byte lead below U+0300
      ++i;
      continue;
    }
    if (lead >= 0xF0) return false;  // astral planes: take the exact path
    if (lead < 0xE0) return false;   // U+0300..U+07FF
    if (i + 2 >= n) return false;  // truncated; cannot happen for validated input
    const char32_t cp = ((lead & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
    if (!is_nfc_inert_code_point(cp)) return false;
    i += 3;
  }
  return true;
}

Status append_nfc(std::string_view text, std::string& out) {
  if (is_nfc_inert(text)) {
    out.append(text);
    return ok_status();
  }
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &result,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (length < 0) {
    return make_error("NFC normalization failed: {}", utf8proc_errmsg(length));
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(result, &std::free);
  out.append(reinterpret_cast<const char*>(result), static_cast<size_t>(length));
  return ok_status();
}

}  // namespace qinfer::tokenizer
