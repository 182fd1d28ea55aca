#include "api/json_prefix_scanner.h"

namespace qinfer::api {
namespace {

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

JsonValueScanner::Step JsonValueScanner::fail() {
  state_ = State::kInvalid;
  return Step::kInvalid;
}

JsonValueScanner::Step JsonValueScanner::end_value() {
  if (stack_.empty()) {
    state_ = State::kDone;
    return Step::kComplete;
  }
  state_ = State::kAfterValue;
  return Step::kContinue;
}

// A number ends at the first byte that cannot extend it; that byte belongs to what follows.
JsonValueScanner::Step JsonValueScanner::end_number(char c) {
  if (stack_.empty()) {
    state_ = State::kDone;
    return Step::kCompleteBefore;
  }
  state_ = State::kAfterValue;
  return push(c);
}

JsonValueScanner::Step JsonValueScanner::start_value(char c) {
  switch (c) {
    case '{':
      stack_.push_back('{');
      state_ = State::kObjectFirstKey;
      return Step::kContinue;
    case '[':
      stack_.push_back('[');
      state_ = State::kArrayFirstValue;
      return Step::kContinue;
    case '"':
      string_is_key_ = false;
      state_ = State::kString;
      return Step::kContinue;
    case '-':
      state_ = State::kNumberMinus;
      return Step::kContinue;
    case '0':
      state_ = State::kNumberZero;
      return Step::kContinue;
    case 't': literal_ = "rue"; break;
    case 'f': literal_ = "alse"; break;
    case 'n': literal_ = "ull"; break;
    default:
      if (c >= '1' && c <= '9') {
        state_ = State::kNumberInteger;
        return Step::kContinue;
      }
      return fail();
  }
  state_ = State::kLiteral;
  return Step::kContinue;
}

JsonValueScanner::Step JsonValueScanner::push(char c) {
  switch (state_) {
    case State::kValue:
      if (is_whitespace(c)) return Step::kContinue;
      return start_value(c);
    case State::kArrayFirstValue:
      if (is_whitespace(c)) return Step::kContinue;
      if (c == ']') {
        stack_.pop_back();
        return end_value();
      }
      return start_value(c);
    case State::kObjectFirstKey:
    case State::kObjectKey:
      if (is_whitespace(c)) return Step::kContinue;
      if (c == '"') {
        string_is_key_ = true;
        state_ = State::kString;
        return Step::kContinue;
      }
      if (c == '}' && state_ == State::kObjectFirstKey) {
        stack_.pop_back();
        return end_value();
      }
      return fail();
    case State::kColon:
      if (is_whitespace(c)) return Step::kContinue;
      if (c != ':') return fail();
      state_ = State::kValue;
      return Step::kContinue;
    case State::kAfterValue:
      if (is_whitespace(c)) return Step::kContinue;
      if (c == ',') {
        state_ = stack_.back() == '{' ? State::kObjectKey : State::kValue;
        return Step::kContinue;
      }
      if ((c == '}' && stack_.back() == '{') || (c == ']' && stack_.back() == '[')) {
        stack_.pop_back();
        return end_value();
      }
      return fail();
    case State::kString:
      if (c == '"') {
        if (string_is_key_) {
          state_ = State::kColon;
          return Step::kContinue;
        }
        return end_value();
      }
      if (c == '\\') {
        state_ = State::kStringEscape;
        return Step::kContinue;
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail();  // control characters must be escaped
      return Step::kContinue;
    case State::kStringEscape:
      switch (c) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          state_ = State::kString;
          return Step::kContinue;
        case 'u':
          hex_left_ = 4;
          state_ = State::kStringUnicode;
          return Step::kContinue;
        default:
          return fail();
      }
    case State::kStringUnicode:
      if (!is_hex(c)) return fail();
      if (--hex_left_ == 0) state_ = State::kString;
      return Step::kContinue;
    case State::kNumberMinus:
      if (c == '0') {
        state_ = State::kNumberZero;
        return Step::kContinue;
      }
      if (c >= '1' && c <= '9') {
        state_ = State::kNumberInteger;
        return Step::kContinue;
      }
      return fail();
    case State::kNumberZero:
    case State::kNumberInteger:
      if (is_digit(c) && state_ == State::kNumberInteger) return Step::kContinue;
      if (c == '.') {
        state_ = State::kNumberPoint;
        return Step::kContinue;
      }
      if (c == 'e' || c == 'E') {
        state_ = State::kNumberExponent;
        return Step::kContinue;
      }
      return end_number(c);
    case State::kNumberPoint:
      if (!is_digit(c)) return fail();
      state_ = State::kNumberFraction;
      return Step::kContinue;
    case State::kNumberFraction:
      if (is_digit(c)) return Step::kContinue;
      if (c == 'e' || c == 'E') {
        state_ = State::kNumberExponent;
        return Step::kContinue;
      }
      return end_number(c);
    case State::kNumberExponent:
      if (c == '+' || c == '-') {
        state_ = State::kNumberExponentSign;
        return Step::kContinue;
      }
      [[fallthrough]];
    case State::kNumberExponentSign:
      if (!is_digit(c)) return fail();
      state_ = State::kNumberExponentDigits;
      return Step::kContinue;
    case State::kNumberExponentDigits:
      if (is_digit(c)) return Step::kContinue;
      return end_number(c);
    case State::kLiteral:
      if (c != *literal_) return fail();
      if (*++literal_ == '\0') return end_value();
      return Step::kContinue;
    case State::kDone:  // the value stays complete; the caller decides what the byte is
      return Step::kInvalid;
    case State::kInvalid:
      return Step::kInvalid;
  }
  return fail();
}

}  // namespace qinfer::api
