// The OpenAI-compatible endpoints over one loaded model: each handler turns a request into
// token ids (chat template + tokenizer), runs it as a GenerationJob in the scheduler and answers
// with the OpenAI objects of api/responses.h, whole or as an SSE stream.
//
//   POST /v1/chat/completions   chat_completions.cpp
//   POST /v1/completions        completions.cpp
//   GET  /v1/models, /v1/models/{id}, POST /tokenize, /detokenize   here
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api_result.h"
#include "api/generation_options.h"
#include "api/request_fields.h"
#include "engine/scheduler.h"
#include "engine/text_assets.h"
#include "model/model.h"
#include "server/client_connection.h"
#include "server/generation_job.h"
#include "server/http_server.h"

namespace qinfer::server {

struct ServiceOptions {
  std::string model_name;               // the id clients send as `model`
  api::RequestDefaults defaults;        // generation_config.json sampling, thinking default
  std::vector<int64_t> eos_token_ids;   // generation stops at these
  ServingMetrics* metrics = nullptr;    // counts request outcomes; may be null
  // > 0: a generation running this long (queue wait included) ends with finish_reason "length".
  std::chrono::steady_clock::duration request_timeout{};
  bool log_content = false;  // prompts and completions on the "generation" log line
};

class OpenAiService {
 public:
  // Everything must outlive the service.
  OpenAiService(const Model& model, const engine::TextAssets& assets,
                engine::Scheduler& scheduler, ServiceOptions options);

  HandlerResult chat_completions(const Request& request);
  HandlerResult completions(const Request& request);
  HandlerResult list_models(const Request& request) const;
  HandlerResult get_model(const Request& request) const;
  HandlerResult tokenize(const Request& request) const;
  HandlerResult detokenize(const Request& request) const;

  const std::string& model_name() const { return options_.model_name; }
  int64_t context_tokens() const { return scheduler_.options().context_tokens; }

 private:
  // The request's `model` must be ours (404 otherwise, as OpenAI answers an unknown model).
  std::optional<api::ApiError> check_model(const std::string& requested) const;
  // The generation request for `prompt` after checks needing the model: logit_bias ids inside
  // the vocabulary; prompt + max_tokens inside the context (max_tokens absent: what is left).
  api::ApiResult<engine::GenerationRequest> generation_request(
      std::vector<int32_t> prompt, const api::GenerationOptions& options) const;

  const Model& model_;
  const engine::TextAssets& assets_;
  engine::Scheduler& scheduler_;
  ServiceOptions options_;
  int64_t created_;  // Unix seconds at start: the `created` of the model object
};

// Registers every endpoint on `server` (before start()); each calls `service()`, which returns
// the service once the model is loaded (the server answers 503 on work routes before that).
Status register_openai_routes(HttpServer& server, std::function<OpenAiService*()> service);

// The request body as ordered JSON (key order kept: the template prints tools with tojson),
// which must be an object. Malformed JSON, invalid UTF-8, another type: a 400.
api::ApiResult<api::Json> parse_request_object(const Request& request);

// An ApiError as a response, with Retry-After for 429 and 503.
JsonResponse api_error_response(const api::ApiError& error);

// Runs a request's choices: their callbacks call state->on_token / state->on_done. Returns the
// refusal as an error response, the stream when streaming, the error response of a failed
// choice; nullopt once every choice ended well (the caller builds the response from `state`).
// A non-streaming client that closes its connection (`client_gone`, may be empty) cancels every
// choice; the response then goes nowhere.
template <class State>
std::optional<HandlerResult> run_choices(engine::Scheduler& scheduler,
                                         const std::shared_ptr<State>& state,
                                         const engine::GenerationRequest& request,
                                         int top_logprobs,
                                         const std::function<bool()>& client_gone) {
  ChoiceCallbacks callbacks;
  callbacks.on_token = [state](int i, const engine::TokenOutput& token) { state->on_token(i, token); };
  callbacks.on_done = [state](int i, Expected<engine::GenerationResult> result) {
    state->on_done(i, std::move(result));
  };
  if (auto error = state->job->submit(scheduler, request, top_logprobs, callbacks)) {
    return api_error_response(*error);
  }
  if (state->stream) return state->stream;
  while (!state->countdown->wait_for(kClientCheckInterval)) {
    if (!state->client_left && client_gone && client_gone()) {
      state->client_left = true;
      state->job->cancel_all();
    }
  }
  if (state->error) return api_error_response(api::server_error(*state->error));
  return std::nullopt;
}

}  // namespace qinfer::server
