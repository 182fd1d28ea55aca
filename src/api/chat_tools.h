// `tools` and `tool_choice` of a chat request. Tools are checked for the shape OpenAI defines and
// then passed on exactly as sent (key order included): Qwen3's template prints each one with
// tojson, so the prompt is the one transformers renders for the same request.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/api_result.h"
#include "api/request_fields.h"

namespace qinfer::api {

enum class ToolChoiceMode {
  kNone,      // the model must answer in text: tools are left out of the prompt
  kAuto,      // the model decides
  kRequired,  // the model must call some tool (needs constrained decoding)
  kFunction,  // the model must call `function_name` (needs constrained decoding)
};

struct ToolChoice {
  ToolChoiceMode mode = ToolChoiceMode::kNone;
  std::string function_name;  // kFunction only
};

struct ChatTools {
  std::optional<Json> tools;          // the request's tools, as sent; nullopt: none (or empty)
  std::vector<std::string> names;     // tools[i].function.name, in order
};

// Function names as OpenAI accepts them: [A-Za-z0-9_-]{1,64}.
bool is_valid_function_name(std::string_view name);

// `tools`: the request's value (nullptr when absent or null).
ApiResult<ChatTools> parse_chat_tools(const Json* tools);

// `tool_choice`: the request's value (nullptr when absent or null; then "auto" with tools and
// "none" without, as OpenAI). "required" and a named function need tools, and the name must be
// one of them.
ApiResult<ToolChoice> parse_tool_choice(const Json* tool_choice, const ChatTools& tools);

}  // namespace qinfer::api
