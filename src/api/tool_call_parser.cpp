#include "api/tool_call_parser.h"

#include <nlohmann/json.hpp>

namespace qinfer::api {
namespace {

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The value of a complete JSON string literal (escapes decoded), or nullopt.
std::optional<std::string> decode_string(const std::string& literal) {
  const nlohmann::json value = nlohmann::json::parse(literal, nullptr, /*allow_exceptions=*/false);
  if (!value.is_string()) return std::nullopt;
  return value.get<std::string>();
}

}  // namespace

ToolCallBlockParser::Step ToolCallBlockParser::fail() {
  state_ = State::kInvalid;
  last_byte_in_arguments_ = false;
  return Step::kInvalid;
}

ToolCallBlockParser::Step ToolCallBlockParser::begin_value(char c) {
  scanner_ = JsonValueScanner();
  if (member_ == Member::kName && c != '"') return fail();
  if (member_ == Member::kArguments && c != '{') return fail();
  state_ = State::kValue;
  if (scanner_.push(c) == JsonValueScanner::Step::kInvalid) return fail();
  if (member_ == Member::kName) name_raw_.push_back(c);
  if (member_ == Member::kArguments) {
    arguments_.push_back(c);
    last_byte_in_arguments_ = true;
  }
  return Step::kContinue;
}

ToolCallBlockParser::Step ToolCallBlockParser::finish_value() {
  if (member_ == Member::kName) {
    std::optional<std::string> name = decode_string(name_raw_);
    if (!name || name->empty()) return fail();
    name_ = std::move(*name);
    name_done_ = true;
  }
  if (member_ == Member::kArguments) arguments_done_ = true;
  state_ = State::kAfterValue;
  return Step::kContinue;
}

ToolCallBlockParser::Step ToolCallBlockParser::after_value(char c) {
  if (is_whitespace(c)) return Step::kContinue;
  if (c == ',') {
    state_ = State::kBeforeKey;
    return Step::kContinue;
  }
  if (c == '}' && name_done_ && arguments_done_) {
    state_ = State::kAfterObject;
    return Step::kContinue;
  }
  return fail();
}

ToolCallBlockParser::Step ToolCallBlockParser::push(char c) {
  last_byte_in_arguments_ = false;
  switch (state_) {
    case State::kBeforeObject:
      if (is_whitespace(c)) return Step::kContinue;
      if (c != '{') return fail();
      state_ = State::kBeforeKey;
      return Step::kContinue;
    case State::kBeforeKey:
      if (is_whitespace(c)) return Step::kContinue;
      if (c != '"') return fail();  // an object without members has neither name nor arguments
      scanner_ = JsonValueScanner();
      (void)scanner_.push(c);
      key_.assign(1, c);
      state_ = State::kKey;
      return Step::kContinue;
    case State::kKey: {
      const JsonValueScanner::Step step = scanner_.push(c);
      if (step == JsonValueScanner::Step::kInvalid) return fail();
      key_.push_back(c);
      if (step == JsonValueScanner::Step::kContinue) return Step::kContinue;
      const std::optional<std::string> key = decode_string(key_);
      if (!key) return fail();
      if (*key == "name") {
        if (name_done_ || !name_raw_.empty()) return fail();  // a second "name"
        member_ = Member::kName;
      } else if (*key == "arguments") {
        if (!arguments_.empty()) return fail();  // a second "arguments"
        member_ = Member::kArguments;
      } else {
        member_ = Member::kOther;
      }
      state_ = State::kColon;
      return Step::kContinue;
    }
    case State::kColon:
      if (is_whitespace(c)) return Step::kContinue;
      if (c != ':') return fail();
      state_ = State::kBeforeValue;
      return Step::kContinue;
    case State::kBeforeValue:
      if (is_whitespace(c)) return Step::kContinue;
      return begin_value(c);
    case State::kValue: {
      const JsonValueScanner::Step step = scanner_.push(c);
      if (step == JsonValueScanner::Step::kInvalid) return fail();
      if (step == JsonValueScanner::Step::kCompleteBefore) {  // a number ended; c follows it
        if (finish_value() == Step::kInvalid) return Step::kInvalid;
        return after_value(c);
      }
      if (member_ == Member::kName) name_raw_.push_back(c);
      if (member_ == Member::kArguments) {
        arguments_.push_back(c);
        last_byte_in_arguments_ = true;
      }
      if (step == JsonValueScanner::Step::kComplete) return finish_value();
      return Step::kContinue;
    }
    case State::kAfterValue:
      return after_value(c);
    case State::kAfterObject:
      if (close_tag_matched_ == 0 && is_whitespace(c)) return Step::kContinue;
      if (c != kToolCallCloseTag[close_tag_matched_]) return fail();
      if (++close_tag_matched_ < kToolCallCloseTag.size()) return Step::kContinue;
      state_ = State::kClosed;
      return Step::kClosed;
    case State::kClosed:
    case State::kInvalid:
      return Step::kInvalid;
  }
  return fail();
}

}  // namespace qinfer::api
