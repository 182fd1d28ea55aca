// OpenAI chat messages -> the message list transformers' apply_chat_template is given for the
// same conversation, so that our prompt equals the one the model was trained on:
//
//   * content: a string, or an array of {"type": "text", "text": ...} parts joined with "\n" (as
//     vLLM joins them for string-content templates such as Qwen3's); other part types are a 400.
//   * an assistant message may have content null when it carries tool_calls; it becomes "" because
//     Qwen3's template concatenates content with strings (an undefined content fails to render,
//     and "" renders exactly what the model produced: the <tool_call> blocks right after the
//     answer's start).
//   * tool_calls keep their arguments as sent: a string is printed verbatim by the template (the
//     model's own text when the client sends back our response), a mapping through tojson.
//   * "developer" becomes "system": OpenAI treats them alike and Qwen3's template knows only
//     "system" (it would drop the message silently).
//   * reasoning_content (or vLLM's "reasoning") of earlier assistant turns is kept; the template
//     decides which turns show it.
//
// Keys the template does not read are dropped, and nothing is nested deeper than the template
// expects, so a rendered prompt depends only on what the API defines.
#pragma once

#include "api/api_result.h"
#include "api/request_fields.h"

namespace qinfer::api {

// `messages` is the request's "messages" value (nullptr when absent or null).
ApiResult<Json> parse_chat_messages(const Json* messages);

}  // namespace qinfer::api
