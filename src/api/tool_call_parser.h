// The inside of one Qwen3 tool-call block, as the model writes it after "<tool_call>":
//
//   \n{"name": "get_order", "arguments": {"order_id": "A1"}}\n</tool_call>
//
// parsed one byte at a time against the grammar
//
//   ws '{' ws member (ws ',' ws member)* ws '}' ws "</tool_call>"
//   member: "name": a non-empty string | "arguments": an object | any other key: any JSON value
//
// so that the caller can stream the call while it is generated: the name as soon as its string
// closes, then the arguments object's exact bytes as they arrive (their concatenation is the
// `arguments` string of the non-streaming response). Keys may come in any order; "name" and
// "arguments" must each appear exactly once. Other keys are checked for syntax and ignored, as
// vLLM's Hermes parser ignores them. A "</tool_call>" inside a JSON string is string content,
// not the end of the block, because the grammar knows where strings are.
#pragma once

#include <string>

#include "api/json_prefix_scanner.h"

namespace qinfer::api {

inline constexpr std::string_view kToolCallOpenTag = "<tool_call>";
inline constexpr std::string_view kToolCallCloseTag = "</tool_call>";

class ToolCallBlockParser {
 public:
  enum class Step {
    kContinue,  // consumed
    kClosed,    // consumed, and it completed "</tool_call>": the call is whole
    kInvalid,   // not consumed: the block cannot be a tool call any more (sticky)
  };

  Step push(char c);

  bool has_name() const { return name_done_; }
  const std::string& name() const { return name_; }
  bool arguments_started() const { return !arguments_.empty(); }
  bool arguments_complete() const { return arguments_done_; }
  // The arguments object's text so far, from its '{'.
  const std::string& arguments() const { return arguments_; }
  // Whether the byte the last push consumed is part of the arguments text.
  bool last_byte_in_arguments() const { return last_byte_in_arguments_; }

 private:
  enum class State {
    kBeforeObject,
    kBeforeKey,     // after '{' or ','
    kKey,
    kColon,
    kBeforeValue,
    kValue,
    kAfterValue,    // ',' or '}'
    kAfterObject,   // whitespace, then the close tag
    kClosed,
    kInvalid,
  };
  enum class Member { kName, kArguments, kOther };

  Step fail();
  Step begin_value(char c);
  Step finish_value();
  Step after_value(char c);

  State state_ = State::kBeforeObject;
  JsonValueScanner scanner_;   // the key or value being read
  std::string key_;            // the raw key string, quotes included
  std::string name_raw_;       // the raw "name" string, quotes included
  Member member_ = Member::kOther;
  bool name_done_ = false;
  bool arguments_done_ = false;
  std::string name_;
  std::string arguments_;
  size_t close_tag_matched_ = 0;
  bool last_byte_in_arguments_ = false;
};

}  // namespace qinfer::api
