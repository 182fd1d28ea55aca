#include "engine/text_session.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "sampling/generation_limits.h"
#include "sampling/stop_strings.h"
#include "tokenizer/streaming_detokenizer.h"

namespace qinfer::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

bool is_cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

// The embedding matrix has rows past the tokenizer's last id (Qwen3: 151936 rows, 151669 ids);
// a model may still give them weight (random weights do), but they have no text, so they are
// banned from sampling rather than turned into an error mid-stream.
SamplerParams with_untokenizable_ids_banned(SamplerParams params, int64_t tokenizer_ids,
                                            int64_t vocab_size) {
  std::vector<bool> biased(static_cast<size_t>(vocab_size), false);
  for (const LogitBias& bias : params.logit_bias) {
    if (bias.token >= 0 && bias.token < vocab_size) biased[static_cast<size_t>(bias.token)] = true;
  }
  for (int64_t id = tokenizer_ids; id < vocab_size; ++id) {
    if (!biased[static_cast<size_t>(id)]) {
      params.logit_bias.push_back({static_cast<int32_t>(id), -kLogitBiasLimit});
    }
  }
  return params;
}

}  // namespace

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kStop: return "stop";
    case StopReason::kLength: return "length";
    case StopReason::kCancelled: return "cancelled";
  }
  return "";
}

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
  const int64_t prompt_tokens = static_cast<int64_t>(request.prompt.size());
  if (prompt_tokens == 0) return make_error("the prompt is empty (no tokens)");
  if (request.max_new_tokens < 1) {
    return make_error("max tokens must be at least 1, got {}", request.max_new_tokens);
  }
  for (size_t i = 0; i < request.prompt.size(); ++i) {
    const int32_t id = request.prompt[i];
    if (id < 0 || id >= model_.config.vocab_size) {
      return make_error("prompt token {} at position {} is outside the vocabulary [0, {})", id, i,
                        model_.config.vocab_size);
    }
  }
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
  const int64_t vocab_size = model_.config.vocab_size;
  const SamplerParams params = with_untokenizable_ids_banned(
      request.sampler, static_cast<int64_t>(tokenizer_.vocab_size()), vocab_size);
  QINFER_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(vocab_size, params));
  QINFER_RETURN_IF_ERROR(sampler.set_prompt(request.prompt));
  QINFER_ASSIGN_OR_RETURN(GenerationLimits limits,
                          GenerationLimits::create(request.eos_token_ids, request.max_new_tokens,
                                                   vocab_size, request.ignore_eos));
  QINFER_ASSIGN_OR_RETURN(StopMatcher matcher, StopMatcher::create(request.stop));
  tokenizer::StreamingDetokenizer detokenizer(tokenizer_, request.skip_special_tokens);

  GenerationResult result;
  result.prompt_tokens = static_cast<int64_t>(request.prompt.size());
  auto emit = [&](std::string_view text) {
    if (text.empty()) return;
    result.text.append(text);
    if (on_text) on_text(text);
  };

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

  // Text still inside the detokenizer (an unfinished character) or the stop matcher (a possible
  // stop-string start) belongs to the output when generation ends for any other reason.
  std::string piece;
  auto drain = [&] {
    piece.clear();
    detokenizer.finish(piece);
    const StopMatcher::Step step = matcher.push(piece);
    emit(step.emit);
    if (!step.stopped) emit(matcher.flush());
  };

  for (int64_t generated = 1;; ++generated) {
    const int32_t token = sampler.sample(logits);
    result.generated_ids.push_back(token);
    const FinishReason finish = limits.check(token, generated);
    if (finish == FinishReason::kStop) {  // an end-of-sequence id: its text is not output
      drain();
      result.stop_reason = StopReason::kStop;
      break;
    }
    piece.clear();
    QINFER_RETURN_IF_ERROR(detokenizer.push(token, piece));
    const StopMatcher::Step step = matcher.push(piece);
    emit(step.emit);
    if (step.stopped) {
      result.stop_reason = StopReason::kStop;
      break;
    }
    if (finish == FinishReason::kLength) {
      drain();
      result.stop_reason = StopReason::kLength;
      break;
    }
    if (is_cancelled(cancel)) {
      drain();
      result.stop_reason = StopReason::kCancelled;
      break;
    }
    QINFER_ASSIGN_OR_RETURN(logits, forward_->forward(std::span<const int32_t>(&token, 1), cache_,
                                                      LogitsFor::kLastPosition));
    cached_ids_.push_back(token);
    ++result.decode_steps;
  }
  result.decode_seconds = seconds_between(decode_start, Clock::now());
  return result;
}

}  // namespace qinfer::engine
