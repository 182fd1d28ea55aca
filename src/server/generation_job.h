// One API request's choices (OpenAI's `n`) running in the scheduler: n sequences with the same
// prompt and seeds seed, seed+1, ... (so choices differ, yet a request with a seed is
// reproducible), a cancel flag per choice, and the per-token / per-choice callbacks of the
// endpoint. Shared by /v1/chat/completions and /v1/completions.
//
// Callbacks run on the scheduler thread and must only format and queue; the job's state lives
// in a shared_ptr owned by the callbacks, so a client that leaves early frees nothing in use.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "api/openai_error.h"
#include "api/responses.h"
#include "engine/scheduler.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::server {

struct ChoiceCallbacks {
  std::function<void(int choice, const engine::TokenOutput& token)> on_token;
  std::function<void(int choice, Expected<engine::GenerationResult> result)> on_done;
};

class GenerationJob {
 public:
  explicit GenerationJob(int choices);

  // Submits every choice; on a refusal the choices already submitted are cancelled and the
  // error is returned (429 queue full, 400 context, 503 stopping). The callbacks are copied
  // into each choice, so what they capture must be owned by them (a shared_ptr).
  std::optional<api::ApiError> submit(engine::Scheduler& scheduler,
                                      const engine::GenerationRequest& request, int top_logprobs,
                                      const ChoiceCallbacks& callbacks);

  // Stops every choice (the client left, or the endpoint needs no more tokens of `choice`).
  void cancel_all();
  void cancel(int choice);

  int choices() const { return static_cast<int>(cancel_.size()); }

 private:
  std::vector<std::shared_ptr<std::atomic<bool>>> cancel_;
};

// The token's bytes and its alternatives' as the API reports logprobs (api/responses.h).
api::TokenLogprob token_logprob(const tokenizer::Tokenizer& tokenizer,
                                const engine::TokenOutput& token);

// How a scheduler refusal reads as an API error; `retry_after` set for 429 and 503.
api::ApiError submit_error(const engine::SubmitResult& result);

}  // namespace qinfer::server
