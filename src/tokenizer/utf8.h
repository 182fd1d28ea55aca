// UTF-8 validation and lossy decoding, shared by the encoder (input checks) and the decoders.
//
// Replacement policy: an ill-formed sequence becomes U+FFFD once per "maximal subpart" (Unicode
// 15, section 3.9, U+FFFD substitution of maximal subparts). That is what Rust's
// String::from_utf8_lossy (used by HF tokenizers' ByteLevel decoder) and Python's
// bytes.decode(errors="replace") do, so our decode output matches theirs byte for byte.
#pragma once

#include "base/utf8.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace qinfer::tokenizer {

inline constexpr std::string_view kReplacementCharUtf8 = "\xEF\xBF\xBD";  // U+FFFD

// Byte offset of the first ill-formed sequence in `text`, or text.size() if it is valid UTF-8.
// Surrogates (U+D800..U+DFFF), overlong forms and code points above U+10FFFF are ill-formed.
size_t find_invalid_utf8(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return find_invalid_utf8(text) == text.size(); }

// Appends `bytes` to `out` as valid UTF-8, each maximal ill-formed subpart replaced by U+FFFD.
// When `end_of_input` is false, a trailing sequence that is incomplete but could still become
// valid is held back: the return value is the number of bytes consumed, and the caller keeps
// the rest for the next call (streaming). With `end_of_input`, everything is consumed.
size_t append_utf8_lossy(std::string_view bytes, bool end_of_input, std::string& out);

// The whole of `bytes` as valid UTF-8 (maximal subparts replaced by U+FFFD).
std::string to_utf8_lossy(std::string_view bytes);

using qinfer::append_utf8;  // base/utf8.h

}  // namespace qinfer::tokenizer
