// Response objects of the OpenAI API, built so that the official SDKs parse every one (field
// names, nesting and nullability as in openai-python's types/chat/chat_completion*.py,
// types/completion*.py, types/model.py):
//
//   chat.completion        {id, object, created, model, choices[{index, message, logprobs,
//                           finish_reason}], usage}
//   chat.completion.chunk  the same id/created/model on every chunk of a stream; per choice a
//                          first chunk with the role, then content / reasoning_content / tool_calls
//                          deltas, then one with finish_reason; with include_usage, a last chunk
//                          with empty choices and the usage
//   text_completion        {id, object, created, model, choices[{index, text, logprobs,
//                           finish_reason}], usage}, also the shape of each stream chunk
//   model / list           {id, object: "model", created, owned_by} / {object: "list", data}
//
// Tool-call stream deltas: the first for a call carries index, id, type "function" and
// function {name, arguments}; later ones index and function {arguments} only — the openai-node
// and openai-python stream helpers accumulate exactly that. reasoning_content is the field vLLM
// and DeepSeek use for reasoning text.
//
// Every string produced is valid UTF-8 (nlohmann's dump() throws on anything else): a logprob
// token that is a fragment of a multi-byte character shows U+FFFD in `token`, and its exact bytes
// in `bytes`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/output_parser.h"
#include "api/request_fields.h"

namespace qinfer::api {

// The fields every object (and every chunk) of one response shares.
struct ResponseHeader {
  std::string id;        // "chatcmpl-..." / "cmpl-..." (ids.h)
  int64_t created = 0;   // Unix seconds
  std::string model;     // the name the request used
};

int64_t unix_seconds_now();

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;     // prompt tokens whose KV came from the prefix cache
  int64_t reasoning_tokens = 0;  // completion tokens inside <think> (OutputParser::in_reasoning)
};

// {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details: {cached_tokens},
//  completion_tokens_details: {reasoning_tokens}}
Json usage_json(const Usage& usage);

struct TopLogprob {
  std::string token;   // the token's bytes, as the tokenizer decodes that one id
  double logprob = 0.0;
};

struct TokenLogprob {
  std::string token;   // the chosen token's bytes
  double logprob = 0.0;
  std::vector<TopLogprob> top_logprobs;  // the most likely alternatives, most likely first
};

// finish_reason of a chat choice: "length" when the token budget ran out (a cut-off call is not a
// complete call), else "tool_calls" when the parser announced one, else "stop".
std::string_view chat_finish_reason(bool length_reached, bool has_tool_calls);

// ---- /v1/chat/completions ----

struct ChatChoice {
  int index = 0;
  AssistantMessage message;
  std::string finish_reason;                     // "stop" | "length" | "tool_calls"
  std::optional<std::vector<TokenLogprob>> logprobs;  // nullopt: not requested
};

Json chat_completion_json(const ResponseHeader& header, std::span<const ChatChoice> choices,
                          const Usage& usage);

// The first chunk of a choice: delta {role: "assistant", content: ""}.
Json chat_chunk_role(const ResponseHeader& header, int index);
// A delta of content, reasoning_content and/or tool_calls, with the logprobs of the tokens it
// came from when requested (nullptr: the field is null).
Json chat_chunk_delta(const ResponseHeader& header, int index, const OutputDelta& delta,
                      const std::vector<TokenLogprob>* logprobs = nullptr);
// The last chunk of a choice: an empty delta and its finish_reason.
Json chat_chunk_finish(const ResponseHeader& header, int index, std::string_view finish_reason);
// With stream_options.include_usage: after every choice finished, choices [] and the usage.
Json chat_chunk_usage(const ResponseHeader& header, const Usage& usage);

// logprobs.content entries: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}].
Json chat_logprobs_content(std::span<const TokenLogprob> tokens);

// ---- /v1/completions ----

struct CompletionChoice {
  int index = 0;
  std::string text;
  std::string finish_reason;                     // "stop" | "length"
  std::optional<std::vector<TokenLogprob>> logprobs;
  size_t text_offset = 0;  // characters before the first token's text (the prompt's, with echo)
};

Json completion_json(const ResponseHeader& header, std::span<const CompletionChoice> choices,
                     const Usage& usage);
// A stream chunk: the same object with one choice, finish_reason null until the last.
Json completion_chunk(const ResponseHeader& header, int index, std::string_view text,
                      const std::vector<TokenLogprob>* logprobs = nullptr,
                      std::string_view finish_reason = {}, size_t text_offset = 0);
Json completion_chunk_usage(const ResponseHeader& header, const Usage& usage);

// The legacy logprobs object {tokens, token_logprobs, top_logprobs: [{token: logprob}],
// text_offset}; offsets count Unicode characters from `text_offset`.
Json completion_logprobs(std::span<const TokenLogprob> tokens, size_t text_offset);

// ---- /v1/models ----

Json model_json(const std::string& id, int64_t created);
Json model_list_json(std::span<const std::string> ids, int64_t created);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace qinfer::api
