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
  if (request.grammar != nullptr) {
    if (request.grammar_tokens == nullptr) {
      return make_error("constrained generation needs the tokenizer's token index");
    }
    if (request.grammar_tokens->model_vocab_size() != vocab_size) {
      return make_error("the grammar's token index covers {} ids, the model has {}",
                        request.grammar_tokens->model_vocab_size(), vocab_size);
    }
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
  std::vector<int32_t> eos_ids;
  if (!request.ignore_eos) eos_ids.assign(limits.eos_token_ids().begin(), limits.eos_token_ids().end());
  SequenceDecoder decoder(std::move(sampler), std::move(limits), std::move(matcher),
                          tokenizer::StreamingDetokenizer(tokenizer, request.skip_special_tokens));
  if (request.grammar != nullptr) {
    decoder.constraint_.emplace(Constraint{
        constrain::Matcher(request.grammar), constrain::TokenMasker(request.grammar_tokens),
        std::vector<uint64_t>(constrain::mask_words(vocab_size)), std::move(eos_ids)});
  }
  return decoder;
}

Expected<int32_t> SequenceDecoder::sample_constrained(std::span<const float> logits) {
  Constraint& c = *constraint_;
  c.masker.compute(c.matcher, c.eos_ids, c.mask);
  const int32_t token = sampler_.sample(logits, c.mask);
  if (!constrain::mask_test(c.mask, token)) {
    return make_error("no token allowed by the response format or tool choice is left after "
                      "logit_bias");
  }
  // EOS ids have no bytes (special tokens); they are only allowed once the document is complete.
  if (!c.matcher.accept(c.masker.index().token_bytes(token))) {
    return make_error("internal error: token {} passed the grammar mask but not the matcher", token);
  }
  return token;
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
  if (constraint_) {
    QINFER_ASSIGN_OR_RETURN(result.token, sample_constrained(logits));
  } else {
    result.token = sampler_.sample(logits);
  }
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
  } else if (constraint_ && constraint_->matcher.is_complete() &&
             !constraint_->matcher.can_accept_more()) {
    // The document is whole and nothing may follow: the end a model would mark with EOS.
    finish(emit);
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
