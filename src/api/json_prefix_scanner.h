// Checks, one byte at a time, that a stream of bytes is a prefix of one JSON value (RFC 8259),
// and says where the value ends. The tool-call parser uses it to stream a model's arguments
// while they are still arriving: every byte it passes on keeps the text a valid JSON prefix, so a
// block that goes wrong is caught at the first byte that cannot continue it.
//
// A pushdown automaton with an explicit stack (no recursion, so deep nesting cannot overflow
// the call stack); O(1) per byte. It checks syntax only: a \u escape must have four hex digits
// but surrogate pairing is not checked, and bytes >= 0x80 inside strings are taken as they come
// (the detokenizer hands out valid UTF-8).
#pragma once

#include <cstdint>
#include <string>

namespace qinfer::api {

class JsonValueScanner {
 public:
  enum class Step {
    kContinue,        // consumed; the value is not complete yet
    kComplete,        // consumed, and it completed the value
    kCompleteBefore,  // not consumed: the value (a number) had ended right before this byte
    kInvalid,         // not consumed: no JSON value continues this way (sticky)
  };

  // Whitespace before the value is skipped; after completion every push is kInvalid.
  Step push(char c);

  bool complete() const { return state_ == State::kDone; }
  bool invalid() const { return state_ == State::kInvalid; }
  int depth() const { return static_cast<int>(stack_.size()); }  // containers open

 private:
  enum class State : uint8_t {
    kValue,            // a value must start (leading whitespace allowed)
    kObjectFirstKey,   // after '{': a key or '}'
    kObjectKey,        // after ',' in an object: a key
    kColon,            // after a key
    kArrayFirstValue,  // after '[': a value or ']'
    kAfterValue,       // inside a container after a member: ',' or its closing bracket
    kString,
    kStringEscape,
    kStringUnicode,    // inside \uXXXX; hex_left_ digits to go
    kNumberMinus,      // after '-'
    kNumberZero,       // a leading 0 (no more integer digits may follow)
    kNumberInteger,
    kNumberPoint,      // after '.'
    kNumberFraction,
    kNumberExponent,   // after 'e' / 'E'
    kNumberExponentSign,
    kNumberExponentDigits,
    kLiteral,          // inside true / false / null
    kDone,
    kInvalid,
  };

  Step start_value(char c);
  Step end_value();      // a scalar or container just closed
  Step end_number(char c);
  Step fail();

  State state_ = State::kValue;
  std::string stack_;             // '{' or '[' per open container
  bool string_is_key_ = false;
  int hex_left_ = 0;
  const char* literal_ = nullptr;  // the rest of "true" / "false" / "null" still expected
};

}  // namespace qinfer::api
