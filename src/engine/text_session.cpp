#include "engine/text_session.h"

#include <algorithm>
#include <chrono>
#include <utility>


namespace qinfer::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

bool is_cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

}  // namespace

double GenerationResult::prefill_tokens_per_second() const {
  return prefill_seconds > 0 ? static_cast<double>(prefill_tokens) / prefill_seconds : 0.0;
}

double GenerationResult::decode_tokens_per_second() const {
  return decode_seconds > 0 ? static_cast<double>(decode_steps) / decode_seconds : 0.0;
}

Expected<std::unique_ptr<TextSession>> TextSession::create(const Model& model,
                                                           const tokenizer::Tokenizer& tokenizer,
                                                           ThreadPool& pool,
                                                           const SessionOptions& options) {
  if (options.context_tokens < 2) {
    return make_error("context of {} tokens is too small", options.context_tokens);
  }
  if (options.context_tokens > model.config.max_position_embeddings) {
    return make_error("context of {} tokens exceeds the model's max_position_embeddings ({})",
                      options.context_tokens, model.config.max_position_embeddings);
  }
  if (options.prefill_chunk_tokens < 1) {
    return make_error("prefill chunk must be at least 1 token, got {}",
                      options.prefill_chunk_tokens);
  }
  ForwardOptions forward_options;
  forward_options.max_chunk_tokens = std::min(options.prefill_chunk_tokens, options.context_tokens);
  forward_options.max_positions = options.context_tokens;
  forward_options.kv_dtype = options.kv_dtype;
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Qwen3Forward> forward,
                          Qwen3Forward::create(model.config, model.weights, pool, forward_options));
  return std::unique_ptr<TextSession>(
      new TextSession(model, tokenizer, std::move(forward), options));
}

TextSession::TextSession(const Model& model, const tokenizer::Tokenizer& tokenizer,
                         std::unique_ptr<Qwen3Forward> forward, const SessionOptions& options)
    : model_(model),
      tokenizer_(tokenizer),
      forward_(std::move(forward)),
      options_(options),
      cache_(forward_->make_cache()) {
  cached_ids_.reserve(static_cast<size_t>(options.context_tokens));
}

void TextSession::reset() {
  cache_.truncate(0);
  cached_ids_.clear();
}

Status TextSession::check_request(const GenerationRequest& request) const {
  QINFER_RETURN_IF_ERROR(check_generation_request(request, model_.config.vocab_size));
  const int64_t prompt_tokens = static_cast<int64_t>(request.prompt.size());
  if (prompt_tokens + request.max_new_tokens > options_.context_tokens) {
    return make_error(
        "the prompt ({} tokens) plus max tokens ({}) exceeds the context of {} tokens; shorten "
        "the prompt, lower max tokens or raise the context size",
        prompt_tokens, request.max_new_tokens, options_.context_tokens);
  }
  return ok_status();
}

Status TextSession::prefill(std::span<const int32_t> ids, const std::atomic<bool>* cancel,
                            std::span<const float>* logits, bool* cancelled) {
  const int64_t chunk = forward_->options().max_chunk_tokens;
  for (size_t begin = 0; begin < ids.size(); begin += static_cast<size_t>(chunk)) {
    if (is_cancelled(cancel)) {
      *cancelled = true;
      return ok_status();
    }
    const auto part = ids.subspan(begin, std::min(ids.size() - begin, static_cast<size_t>(chunk)));
    QINFER_ASSIGN_OR_RETURN(*logits, forward_->forward(part, cache_, LogitsFor::kLastPosition));
    cached_ids_.insert(cached_ids_.end(), part.begin(), part.end());
  }
  return ok_status();
}

Expected<GenerationResult> TextSession::generate(const GenerationRequest& request,
                                                 const TextCallback& on_text,
                                                 const std::atomic<bool>* cancel) {
  QINFER_RETURN_IF_ERROR(check_request(request));
  QINFER_ASSIGN_OR_RETURN(SequenceDecoder decoder,
                          SequenceDecoder::create(request, tokenizer_, model_.config.vocab_size));
  GenerationResult result;
  result.prompt_tokens = static_cast<int64_t>(request.prompt.size());

  // Reuse the longest cached prefix, but recompute at least the last prompt token.
  size_t common = 0;
  const size_t reusable = std::min(cached_ids_.size(), request.prompt.size() - 1);
  while (common < reusable && cached_ids_[common] == request.prompt[common]) ++common;
  cache_.truncate(static_cast<int64_t>(common));
  cached_ids_.resize(common);
  result.reused_prompt_tokens = static_cast<int64_t>(common);

  const Clock::time_point prefill_start = Clock::now();
  std::span<const float> logits;
  bool cancelled = false;
  QINFER_RETURN_IF_ERROR(prefill(std::span<const int32_t>(request.prompt).subspan(common), cancel,
                                 &logits, &cancelled));
  const Clock::time_point decode_start = Clock::now();
  result.prefill_seconds = seconds_between(prefill_start, decode_start);
  result.prefill_tokens = static_cast<int64_t>(cached_ids_.size() - common);
  if (cancelled) {
    result.stop_reason = StopReason::kCancelled;
    return result;
  }

  for (;;) {
    QINFER_ASSIGN_OR_RETURN(SequenceDecoder::Step step, decoder.next(logits, on_text));
    if (step.finished) {
      result.stop_reason = step.reason;
      break;
    }
    if (is_cancelled(cancel)) {
      decoder.finish(on_text);
      result.stop_reason = StopReason::kCancelled;
      break;
    }
    QINFER_ASSIGN_OR_RETURN(logits, forward_->forward(std::span<const int32_t>(&step.token, 1),
                                                      cache_, LogitsFor::kLastPosition));
    cached_ids_.push_back(step.token);
    ++result.decode_steps;
  }
  result.text = decoder.text();
  result.generated_ids = decoder.generated();
  result.decode_seconds = seconds_between(decode_start, Clock::now());
  return result;
}

}  // namespace qinfer::engine
