#include "server/generation_job.h"

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
