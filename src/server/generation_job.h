// One API request's choices (OpenAI's `n`) running in the scheduler: n sequences with the same
// prompt and seeds seed, seed+1, ... (so choices differ, yet a request with a seed is
// reproducible), a cancel flag per choice, and the per-token / per-choice callbacks of the
// endpoint. Shared by /v1/chat/completions and /v1/completions.
//
// Callbacks run on the scheduler thread and must only format and queue; the job's state lives
// in a shared_ptr owned by the callbacks, so a client that leaves early frees nothing in use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <mutex>
#include <vector>

#include "api/openai_error.h"
#include "api/responses.h"
#include "engine/scheduler.h"
#include "server/sse_stream.h"
#include "tokenizer/tokenizer.h"

namespace qinfer::server {

class ServingMetrics;

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

// Counts a request's choices down: the scheduler thread reports each choice's end, the handler
// of a non-streaming request waits for the last.
class ChoiceCountdown {
 public:
  explicit ChoiceCountdown(int choices) : remaining_(choices) {}
  // A choice ended; true for the last one (the waiter is then woken).
  bool count_down();
  void wait();
  // Waits at most `timeout`; true when every choice has ended.
  bool wait_for(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable all_done_;
  int remaining_;
};

// What both endpoints keep for one request, shared by its choices' callbacks (on the scheduler
// thread) and the handler. Derived states add the per-choice output.
struct RequestState {
  using UsageChunk = api::Json (*)(const api::ResponseHeader&, const api::Usage&);

  const tokenizer::Tokenizer* tokenizer = nullptr;
  api::ResponseHeader header;
  bool want_logprobs = false;
  bool include_usage = false;
  std::shared_ptr<SseStream> stream;   // null: non-streaming
  std::shared_ptr<GenerationJob> job;
  api::Usage usage;
  std::optional<std::string> error;    // a choice failed (a fault of ours)
  std::atomic<bool> client_left{false};  // a non-streaming client closed its connection
  std::unique_ptr<ChoiceCountdown> countdown;
  ServingMetrics* metrics = nullptr;   // null: not counted
  // For the "generation" log line of the request (no text in it): the request's X-Request-Id
  // (the access log's) and each choice's finish reason.
  std::string request_id;
  std::vector<std::string> finish_reason_of_choice;
  // Set only under `serve --log-content`: the prompt as the model saw it, then each choice's
  // raw output, logged on the generation line.
  std::optional<std::string> logged_prompt;
  std::vector<std::string> logged_completions;

  RequestState(const tokenizer::Tokenizer& tokenizer, api::ResponseHeader header, int choices);

  // Makes the response a stream; a client that leaves cancels every choice.
  void open_stream();
  // A choice failed: remembered, and sent as an error event on a stream.
  void record_error(const Error& failure);
  // A choice finished: its tokens count in the usage.
  void count_usage(const engine::GenerationResult& result);
  // A choice ended: success by finish_reason, cancelled (the client left) or failed.
  void count_outcome(bool failed, std::string_view finish_reason);
  // A choice finished well: its reason (and its text, when content is logged) for the log line.
  void note_finish(int choice, std::string_view reason, const engine::GenerationResult& result);
  // After a choice's last event: the last choice logs the generation's tokens and finish reasons
  // and ends the stream (the usage chunk first, when asked) or wakes the handler.
  void choice_ended(UsageChunk usage_chunk);
};

// The token's bytes and its alternatives' as the API reports logprobs (api/responses.h).
api::TokenLogprob token_logprob(const tokenizer::Tokenizer& tokenizer,
                                const engine::TokenOutput& token);

// How a scheduler refusal reads as an API error; `retry_after` set for 429 and 503.
api::ApiError submit_error(const engine::SubmitResult& result);

}  // namespace qinfer::server
