#include "tokenizer/byte_level.h"

#include "tokenizer/utf8.h"

namespace qinfer::tokenizer {
namespace {

bool maps_to_itself(unsigned b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> byte_to_cp{};
  // Every code point of the alphabet is below U+0144, so the reverse map is a small array.
  static constexpr char32_t kReverseSize = 0x144;
  std::array<int, kReverseSize> cp_to_byte{};

  Tables() {
    cp_to_byte.fill(-1);
    char32_t next = 0x100;
    for (unsigned b = 0; b < 256; ++b) {
      byte_to_cp[b] = maps_to_itself(b) ? static_cast<char32_t>(b) : next++;
      cp_to_byte[byte_to_cp[b]] = static_cast<int>(b);
    }
  }
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

// Decodes one code point of valid UTF-8 at text[i], advancing i; false on ill-formed input.
bool next_code_point(std::string_view text, size_t& i, char32_t& cp) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char lead = p[i];
  size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  if (i + length > text.size() || !is_valid_utf8(text.substr(i, length))) return false;
  if (length == 1) cp = lead;
  if (length == 2) cp = ((lead & 0x1F) << 6) | (p[i + 1] & 0x3F);
  if (length == 3) cp = ((lead & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
  if (length == 4) {
    cp = ((lead & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) |
         (p[i + 3] & 0x3F);
  }
  i += length;
  return true;
}

}  // namespace

char32_t byte_to_unicode(unsigned char byte) { return tables().byte_to_cp[byte]; }

std::optional<unsigned char> unicode_to_byte(char32_t cp) {
  if (cp >= Tables::kReverseSize) return std::nullopt;
  const int b = tables().cp_to_byte[cp];
  if (b < 0) return std::nullopt;
  return static_cast<unsigned char>(b);
}

std::string bytes_to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) append_utf8(out, byte_to_unicode(b));
  return out;
}

std::optional<std::string> byte_level_to_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp = 0;
    if (!next_code_point(text, i, cp)) return std::nullopt;
    const auto byte = unicode_to_byte(cp);
    if (!byte) return std::nullopt;
    out.push_back(static_cast<char>(*byte));
  }
  return out;
}

std::string token_text_to_bytes(std::string_view text) {
  if (auto bytes = byte_level_to_bytes(text)) return std::move(*bytes);
  return std::string(text);
}

}  // namespace qinfer::tokenizer
