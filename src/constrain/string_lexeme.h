// The JSON string body as a byte automaton (see grammar.h: everything after the opening quote,
// the closing quote included). Strict, so that every accepted string parses in any JSON parser:
// well-formed UTF-8 only (no overlongs, no surrogates, nothing past U+10FFFF), no raw control
// characters, escapes \" \\ \/ \b \f \n \r \t and \uXXXX without surrogate code units (a
// surrogate pair would count as two characters here but one in JSON Schema, and a lone one is
// not a character at all; any non-BMP character can still be written raw).
//
// Characters are counted when they start, so maxLength is checked before a character's first
// byte and a token can never leave a string one character too long.
#pragma once

#include <cstdint>

#include "constrain/grammar.h"

namespace qinfer::constrain {

// Position inside the body: a character boundary, inside a multi-byte character, or inside an
// escape. The UTF-8 states follow the well-formed byte table of Unicode 15, section 3.9.
enum StringState : uint8_t {
  kAtBoundary = 0,
  kNeed1 = 1,        // one more 80..BF
  kNeed2 = 2,        // two more 80..BF
  kAfterE0 = 3,      // A0..BF, then one more
  kAfterED = 4,      // 80..9F (no surrogates), then one more
  kNeed3 = 5,        // three more 80..BF
  kAfterF0 = 6,      // 90..BF, then two more
  kAfterF4 = 7,      // 80..8F (nothing past U+10FFFF), then two more
  kAfterBackslash = 8,
  kHex0 = 9,         // after \u
  kHex1 = 10,        // after \uX (X not D)
  kHex1D = 11,       // after \uD: 0..7 only (D800..DFFF are surrogates)
  kHex2 = 12,
  kHex3 = 13,
};

struct ByteStep {
  enum Kind : uint8_t { kReject, kContinue, kClose } kind = kReject;
  uint8_t state = kAtBoundary;  // kContinue: the new state
  bool starts_character = false;
};

// One byte of a string body, ignoring lengths.
inline ByteStep string_byte_step(StringFlavor flavor, uint8_t state, uint8_t byte) {
  const auto go = [](uint8_t next, bool starts = false) {
    return ByteStep{ByteStep::kContinue, next, starts};
  };
  const bool continuation = byte >= 0x80 && byte <= 0xBF;
  const bool hex = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'f') ||
                   (byte >= 'A' && byte <= 'F');
  switch (state) {
    case kAtBoundary:
      if (byte == '"') return {ByteStep::kClose, kAtBoundary, false};
      if (flavor == StringFlavor::kAsciiKey) {
        return byte >= 0x20 && byte <= 0x7E && byte != '\\' ? go(kAtBoundary, true) : ByteStep{};
      }
      if (byte < 0x20) return {};
      if (byte == '\\') return go(kAfterBackslash, true);
      if (byte < 0x80) return go(kAtBoundary, true);
      if (byte >= 0xC2 && byte <= 0xDF) return go(kNeed1, true);
      if (byte == 0xE0) return go(kAfterE0, true);
      if (byte == 0xED) return go(kAfterED, true);
      if (byte >= 0xE1 && byte <= 0xEF) return go(kNeed2, true);
      if (byte == 0xF0) return go(kAfterF0, true);
      if (byte >= 0xF1 && byte <= 0xF3) return go(kNeed3, true);
      if (byte == 0xF4) return go(kAfterF4, true);
      return {};
    case kNeed1: return continuation ? go(kAtBoundary) : ByteStep{};
    case kNeed2: return continuation ? go(kNeed1) : ByteStep{};
    case kAfterE0: return byte >= 0xA0 && byte <= 0xBF ? go(kNeed1) : ByteStep{};
    case kAfterED: return byte >= 0x80 && byte <= 0x9F ? go(kNeed1) : ByteStep{};
    case kNeed3: return continuation ? go(kNeed2) : ByteStep{};
    case kAfterF0: return byte >= 0x90 && byte <= 0xBF ? go(kNeed2) : ByteStep{};
    case kAfterF4: return byte >= 0x80 && byte <= 0x8F ? go(kNeed2) : ByteStep{};
    case kAfterBackslash:
      switch (byte) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          return go(kAtBoundary);
        case 'u': return go(kHex0);
        default: return {};
      }
    case kHex0:
      if (byte == 'd' || byte == 'D') return go(kHex1D);
      return hex ? go(kHex1) : ByteStep{};
    case kHex1: return hex ? go(kHex2) : ByteStep{};
    case kHex1D: return byte >= '0' && byte <= '7' ? go(kHex2) : ByteStep{};
    case kHex2: return hex ? go(kHex3) : ByteStep{};
    case kHex3: return hex ? go(kAtBoundary) : ByteStep{};
    default: return {};
  }
}

// A string element's whole state: the byte state and the characters started so far. When the
// string has no maxLength the count saturates at minLength (all that matters then is reaching
// it), which keeps equal states equal.
inline uint8_t string_state(uint32_t sub) { return static_cast<uint8_t>(sub & 15); }
inline uint32_t string_count(uint32_t sub) { return sub >> 4; }
inline uint32_t make_string_sub(uint8_t state, uint32_t count) { return (count << 4) | state; }

struct StringStep {
  enum Kind : uint8_t { kReject, kContinue, kClose } kind = kReject;
  uint32_t sub = 0;
};

inline StringStep string_step(const StringSpec& spec, uint32_t sub, uint8_t byte) {
  const uint32_t count = string_count(sub);
  const ByteStep step = string_byte_step(spec.flavor, string_state(sub), byte);
  switch (step.kind) {
    case ByteStep::kReject: return {};
    case ByteStep::kClose:
      return count >= spec.min_length ? StringStep{StringStep::kClose, 0} : StringStep{};
    case ByteStep::kContinue: break;
  }
  uint32_t next_count = count;
  if (step.starts_character) {
    if (spec.max_length != kUnboundedLength) {
      if (count >= spec.max_length) return {};
      next_count = count + 1;
    } else {
      next_count = count < spec.min_length ? count + 1 : count;
    }
  }
  return {StringStep::kContinue, make_string_sub(step.state, next_count)};
}

}  // namespace qinfer::constrain
