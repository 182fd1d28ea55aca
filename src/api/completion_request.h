// POST /v1/completions (the legacy text completion): a raw prompt, no chat template. The shared
// sampling and limit fields mean what they mean for chat (generation_options.h); the legacy
// `logprobs` is an integer: the number of alternatives per position (0..5), 0 still returning
// the chosen tokens' log-probabilities.
//
// One prompt per request: a string, an array of token ids, or an array holding one of those.
// Several prompts are a 400 (the batch form multiplies choices in ways clients rarely want; send
// concurrent requests instead). `suffix` (fill-in-the-middle) is a 400: Qwen3 has no
// fill-in-the-middle tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/api_result.h"
#include "api/generation_options.h"
#include "api/request_fields.h"

namespace qinfer::api {

inline constexpr int64_t kMaxLegacyLogprobs = 5;

// Text to tokenize, or token ids as sent (checked against the vocabulary by the server); exactly
// one of them is non-empty.
struct CompletionPrompt {
  std::string text;
  std::vector<int32_t> token_ids;
};

struct CompletionParams {
  std::string model;
  CompletionPrompt prompt;
  bool echo = false;              // the prompt's text is prepended to the completion
  GenerationOptions generation;   // logprobs on when `logprobs` is an integer; top_logprobs = it
};

ApiResult<CompletionParams> parse_completion_request(const Json& body,
                                                     const RequestDefaults& defaults);

// What the request format allows but the server cannot do yet: echo with logprobs (it needs the
// prompt tokens' log-probabilities, which the engine does not compute). Separate so that it can be
// deleted when the engine can.
MaybeApiError unsupported_features(const CompletionParams& params);

}  // namespace qinfer::api
