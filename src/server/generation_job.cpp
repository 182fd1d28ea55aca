#include "server/generation_job.h"

#include <algorithm>
#include <utility>

#include "server/serving_metrics.h"
#include "base/log.h"

namespace qinfer::server {

GenerationJob::GenerationJob(int choices) {
  for (int i = 0; i < choices; ++i) cancel_.push_back(std::make_shared<std::atomic<bool>>(false));
}

std::optional<api::ApiError> GenerationJob::submit(engine::Scheduler& scheduler,
                                                   const engine::GenerationRequest& request,
                                                   int top_logprobs,
                                                   const ChoiceCallbacks& callbacks) {
  for (int i = 0; i < choices(); ++i) {
    engine::SequenceRequest sequence;
    sequence.generation = request;
    sequence.generation.sampler.seed = request.sampler.seed + static_cast<uint64_t>(i);
    sequence.top_logprobs = top_logprobs;
    sequence.cancel = cancel_[static_cast<size_t>(i)];
    sequence.on_token = [on_token = callbacks.on_token, i](const engine::TokenOutput& token) {
      if (on_token) on_token(i, token);
    };
    sequence.on_done = [on_done = callbacks.on_done, i](Expected<engine::GenerationResult> result) {
      on_done(i, std::move(result));
    };
    const engine::SubmitResult submitted = scheduler.submit(std::move(sequence));
    if (!submitted.ok()) {
      // Choices already accepted end at the next step; their callbacks still run, on state the
      // callbacks own, and the request answers with the error.
      cancel_all();
      return submit_error(submitted);
    }
  }
  return std::nullopt;
}

void GenerationJob::cancel_all() {
  for (auto& flag : cancel_) flag->store(true);
}

void GenerationJob::cancel(int choice) { cancel_[static_cast<size_t>(choice)]->store(true); }

bool ChoiceCountdown::count_down() {
  std::lock_guard lock(mutex_);
  if (--remaining_ > 0) return false;
  all_done_.notify_all();
  return true;
}

void ChoiceCountdown::wait() {
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [&] { return remaining_ == 0; });
}

bool ChoiceCountdown::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return all_done_.wait_for(lock, timeout, [&] { return remaining_ == 0; });
}

RequestState::RequestState(const tokenizer::Tokenizer& tokenizer_in, api::ResponseHeader header_in,
                           int choices)
    : tokenizer(&tokenizer_in),
      header(std::move(header_in)),
      job(std::make_shared<GenerationJob>(choices)),
      countdown(std::make_unique<ChoiceCountdown>(choices)),
      finish_reason_of_choice(static_cast<size_t>(choices)),
      logged_completions(static_cast<size_t>(choices)) {}

void RequestState::open_stream() {
  stream = std::make_shared<SseStream>();
  stream->set_on_cancel([job = job] { job->cancel_all(); });
}

void RequestState::record_error(const Error& failure) {
  error = failure.message;
  if (stream) stream->push(api::to_json(api::server_error(failure.message)));
}

void RequestState::count_usage(const engine::GenerationResult& result) {
  usage.completion_tokens += static_cast<int64_t>(result.generated_ids.size());
  usage.cached_tokens = std::max(usage.cached_tokens, result.reused_prompt_tokens);
}

void RequestState::count_outcome(bool failed, std::string_view finish_reason) {
  if (metrics == nullptr) return;
  if (failed) {
    metrics->count_failed();
  } else if ((stream && stream->cancelled()) || client_left) {
    metrics->count_cancelled();
  } else {
    metrics->count_success(finish_reason);
  }
}

void RequestState::note_finish(int choice, std::string_view reason,
                               const engine::GenerationResult& result) {
  finish_reason_of_choice[static_cast<size_t>(choice)] = std::string(reason);
  if (logged_prompt) logged_completions[static_cast<size_t>(choice)] = result.text;
}

void RequestState::choice_ended(UsageChunk usage_chunk) {
  if (!countdown->count_down()) return;
  // Counts and reasons only: prompts and completions stay out of logs unless --log-content.
  nlohmann::json fields = {{"request_id", request_id},
                           {"id", header.id},
                           {"prompt_tokens", usage.prompt_tokens},
                           {"completion_tokens", usage.completion_tokens},
                           {"cached_tokens", usage.cached_tokens},
                           {"finish_reasons", finish_reason_of_choice}};
  if (error) fields["error"] = *error;
  if (logged_prompt) {
    fields["prompt"] = *logged_prompt;
    fields["completions"] = logged_completions;
  }
  log_event(error ? LogLevel::warn : LogLevel::info, "generation", fields);
  if (!stream) return;
  if (include_usage && !error) stream->push(usage_chunk(header, usage));
  stream->finish();
}

api::TokenLogprob token_logprob(const tokenizer::Tokenizer& tokenizer,
                                const engine::TokenOutput& token) {
  api::TokenLogprob entry;
  // A token outside the tokenizer (never sampled: the engine bans those ids) would leave the
  // bytes empty rather than fail the response.
  (void)tokenizer.append_token_bytes(token.token, false, entry.token);
  entry.logprob = token.logprob;
  for (const engine::TokenLogprob& alternative : token.top) {
    api::TopLogprob top;
    (void)tokenizer.append_token_bytes(alternative.token, false, top.token);
    top.logprob = alternative.logprob;
    entry.top_logprobs.push_back(std::move(top));
  }
  return entry;
}

api::ApiError submit_error(const engine::SubmitResult& result) {
  switch (result.error) {
    case engine::SubmitError::kContextExceeded: return api::context_length_exceeded(result.message);
    case engine::SubmitError::kQueueFull: return api::overloaded(result.message);
    case engine::SubmitError::kStopped: return api::unavailable(result.message);
    case engine::SubmitError::kInvalid:
    case engine::SubmitError::kNone: break;
  }
  return api::invalid_request("", result.message);
}

}  // namespace qinfer::server
