#include "engine/sequence_decoder.h"

#include <utility>

namespace qinfer::engine {
namespace {

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

Status check_generation_request(const GenerationRequest& request, int64_t vocab_size) {
  if (request.prompt.empty()) return make_error("the prompt is empty (no tokens)");
  if (request.max_new_tokens < 1) {
    return make_error("max tokens must be at least 1, got {}", request.max_new_tokens);
  }
  for (size_t i = 0; i < request.prompt.size(); ++i) {
    const int32_t id = request.prompt[i];
    if (id < 0 || id >= vocab_size) {
      return make_error("prompt token {} at position {} is outside the vocabulary [0, {})", id, i,
                        vocab_size);
    }
  }
  return ok_status();
}

Expected<SequenceDecoder> SequenceDecoder::create(const GenerationRequest& request,
                                                  const tokenizer::Tokenizer& tokenizer,
                                                  int64_t vocab_size) {
  QINFER_RETURN_IF_ERROR(check_generation_request(request, vocab_size));
  const SamplerParams params = with_untokenizable_ids_banned(
      request.sampler, static_cast<int64_t>(tokenizer.vocab_size()), vocab_size);
  QINFER_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(vocab_size, params));
  QINFER_RETURN_IF_ERROR(sampler.set_prompt(request.prompt));
  QINFER_ASSIGN_OR_RETURN(GenerationLimits limits,
                          GenerationLimits::create(request.eos_token_ids, request.max_new_tokens,
                                                   vocab_size, request.ignore_eos));
  QINFER_ASSIGN_OR_RETURN(StopMatcher matcher, StopMatcher::create(request.stop));
  return SequenceDecoder(std::move(sampler), std::move(limits), std::move(matcher),
                         tokenizer::StreamingDetokenizer(tokenizer, request.skip_special_tokens));
}

void SequenceDecoder::emit_text(std::string_view text, const TextCallback& emit) {
  if (text.empty()) return;
  text_.append(text);
  if (emit) emit(text);
}

void SequenceDecoder::finish(const TextCallback& emit) {
  // Text still inside the detokenizer (an unfinished character) or the stop matcher (a possible
  // stop-string start) belongs to the output when generation ends for any other reason.
  piece_.clear();
  detokenizer_.finish(piece_);
  const StopMatcher::Step step = matcher_.push(piece_);
  emit_text(step.emit, emit);
  if (!step.stopped) emit_text(matcher_.flush(), emit);
}

Expected<SequenceDecoder::Step> SequenceDecoder::next(std::span<const float> logits,
                                                      const TextCallback& emit) {
  Step result;
  result.token = sampler_.sample(logits);
  generated_.push_back(result.token);
  const FinishReason finish_reason =
      limits_.check(result.token, static_cast<int64_t>(generated_.size()));
  if (finish_reason == FinishReason::kStop) {  // an end-of-sequence id: its text is not output
    finish(emit);
    result.finished = true;
    result.reason = StopReason::kStop;
    return result;
  }
  piece_.clear();
  QINFER_RETURN_IF_ERROR(detokenizer_.push(result.token, piece_));
  const StopMatcher::Step step = matcher_.push(piece_);
  emit_text(step.emit, emit);
  if (step.stopped) {
    result.finished = true;
    result.reason = StopReason::kStop;
  } else if (finish_reason == FinishReason::kLength) {
    finish(emit);
    result.finished = true;
    result.reason = StopReason::kLength;
  }
  return result;
}

}  // namespace qinfer::engine
