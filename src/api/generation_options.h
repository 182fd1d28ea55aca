// The request fields /v1/chat/completions and /v1/completions share: sampling, seed, limits,
// stop strings, n, logit_bias, streaming. One parser for both endpoints, so a field means the
// same thing (and fails the same way) wherever it is sent.
//
// Ranges are OpenAI's where it documents one (temperature [0, 2], top_p (0, 1], penalties
// [-2, 2], logit_bias [-100, 100]) and vLLM's for its extensions (top_k >= -1 where -1 means
// off, min_p [0, 1], repetition_penalty > 0, ignore_eos). Unset sampling fields take the model's
// generation_config.json values (RequestDefaults), as vLLM and transformers do.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_result.h"
#include "api/request_fields.h"
#include "sampling/sampler.h"

namespace qinfer::api {

inline constexpr int64_t kMaxStopStrings = 16;
inline constexpr int64_t kMaxChoices = 8;        // n
inline constexpr int64_t kMaxTopLogprobs = 20;   // chat top_logprobs (OpenAI's bound)

struct RequestDefaults {
  // The checkpoint's generation_config.json (cli::sampler_params_from_generation_config):
  // temperature (0 when do_sample is false), top_k, top_p, min_p, repetition_penalty.
  SamplerParams sampler;
  // chat_template_kwargs.enable_thinking when the request does not set it (a server flag).
  bool enable_thinking = true;
  // max_tokens when the request has none; nullopt: generate until the context is full.
  std::optional<int64_t> max_tokens;
};

struct GenerationOptions {
  SamplerParams sampler;              // defaults overridden by the request; seed = *seed or 0
  std::optional<uint64_t> seed;       // nullopt: the server draws one (OpenAI: nondeterministic)
  std::optional<int64_t> max_tokens;  // >= 1; nullopt: until the context is full
  std::vector<std::string> stop;      // each non-empty, at most kMaxStopStrings
  int n = 1;                          // choices per request, [1, kMaxChoices]
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage: a last chunk with usage
  bool logprobs = false;              // per-token log-probabilities of the chosen tokens
  int top_logprobs = 0;               // alternatives per position when logprobs is on
  bool ignore_eos = false;            // vLLM / llama.cpp extension: always reach max_tokens
};

// Reads the shared fields of `body` (an object) into `out`; logprobs differ per endpoint and are
// read by each endpoint's parser. Token ids in logit_bias are checked against the vocabulary
// later, by validate_sampler_params(params, vocab_size), where the vocabulary is known.
MaybeApiError parse_generation_options(const Json& body, const RequestDefaults& defaults,
                                       GenerationOptions& out);

// Rejects known OpenAI fields whose meaning we do not implement (they would otherwise be ignored
// silently and change the answer): each one present and not null gives a 400 naming it.
MaybeApiError reject_unsupported_fields(const Json& body,
                                        std::initializer_list<std::string_view> fields);

}  // namespace qinfer::api
