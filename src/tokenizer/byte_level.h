// GPT-2's byte-level alphabet: every byte 0..255 is written as one printable code point, so that
// BPE vocabularies can be stored as text. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
// stand for themselves; the other 68 bytes map in order to U+0100..U+0143 (space -> 'Ġ' U+0120,
// '\n' -> 'Ċ' U+010A). This is `bytes_to_unicode()` of GPT-2 and HF's ByteLevel.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace qinfer::tokenizer {

// Code point that represents `byte` in the byte-level alphabet.
char32_t byte_to_unicode(unsigned char byte);

// The byte a byte-level code point stands for, or nullopt if `cp` is not in the alphabet.
std::optional<unsigned char> unicode_to_byte(char32_t cp);

// Raw bytes -> byte-level text (UTF-8 of the mapped code points).
std::string bytes_to_byte_level(std::string_view bytes);

// Byte-level text -> raw bytes. nullopt when `text` is not valid UTF-8 or holds a code point
// outside the alphabet; HF's decoder then uses the token's own UTF-8 bytes, see
// token_text_to_bytes().
std::optional<std::string> byte_level_to_bytes(std::string_view text);

// The bytes a vocabulary entry decodes to, exactly as HF's ByteLevel decoder treats a token:
// the mapped bytes if every character is in the alphabet, otherwise the text's own UTF-8 bytes.
std::string token_text_to_bytes(std::string_view text);

}  // namespace qinfer::tokenizer
