// POST /v1/chat/completions: the request body -> everything the server needs to run it, or the
// 400 that names the first field at fault. Pure: no model, no tokenizer; checks that need the
// model (logit_bias ids inside the vocabulary, prompt + max_tokens inside the context) happen
// where the model is known.
//
// Fields: model, messages (chat_messages.h), tools / tool_choice / parallel_tool_calls
// (chat_tools.h), the shared sampling and limit fields (generation_options.h), max_completion_tokens
// (wins over max_tokens), logprobs / top_logprobs, response_format, chat_template_kwargs, user
// (checked, unused). Unknown fields are ignored as vLLM does; known OpenAI fields we do not
// implement are a 400 rather than silently ignored.
#pragma once

#include <string>

#include "api/api_result.h"
#include "api/chat_tools.h"
#include "api/generation_options.h"
#include "api/request_fields.h"
#include "chat/chat_template.h"

namespace qinfer::api {

enum class ResponseFormatType { kText, kJsonObject, kJsonSchema };

struct ResponseFormat {
  ResponseFormatType type = ResponseFormatType::kText;
  Json json_schema;  // kJsonSchema: the request's {"name", "schema", "strict"?, ...} object
};

struct ChatCompletionParams {
  std::string model;
  // Ready for ChatTemplate::render: normalized messages, the tools (left out when tool_choice is
  // "none", so the model answers in text), add_generation_prompt, and kwargs =
  // chat_template_kwargs with enable_thinking always set (from the request or the default).
  chat::ChatRequest chat;
  GenerationOptions generation;
  ToolChoice tool_choice;
  std::vector<std::string> tool_names;  // every tool the request declared, in order
  bool parallel_tool_calls = true;      // false: at most one call (OutputParser's option)
  bool enable_thinking = true;          // the value in chat.kwargs
  ResponseFormat response_format;

  // Whether <tool_call> blocks in the output become tool_calls (else they are plain content).
  bool parses_tool_calls() const { return tool_choice.mode != ToolChoiceMode::kNone; }
};

ApiResult<ChatCompletionParams> parse_chat_completion_request(const Json& body,
                                                              const RequestDefaults& defaults);


}  // namespace qinfer::api
