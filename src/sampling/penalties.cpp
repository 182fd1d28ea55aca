#include "sampling/penalties.h"

#include <cassert>
#include <cmath>

namespace qinfer {

TokenHistory::TokenHistory(int64_t vocab_size)
    : in_prompt_(static_cast<size_t>(vocab_size), 0),
      generated_count_(static_cast<size_t>(vocab_size), 0),
      seen_(static_cast<size_t>(vocab_size), 0) {
  distinct_.reserve(static_cast<size_t>(vocab_size));
}

Status TokenHistory::reset(std::span<const int32_t> prompt) {
  const int64_t vocab = static_cast<int64_t>(seen_.size());
  for (const int32_t token : prompt) {
    if (token < 0 || token >= vocab) {
      return make_error("prompt token id {} is outside the vocabulary [0, {})", token, vocab);
    }
  }
  for (const int32_t token : distinct_) {
    const auto i = static_cast<size_t>(token);
    in_prompt_[i] = 0;
    generated_count_[i] = 0;
    seen_[i] = 0;
  }
  distinct_.clear();
  generated_total_ = 0;
  for (const int32_t token : prompt) {
    note_seen(token);
    in_prompt_[static_cast<size_t>(token)] = 1;
  }
  return ok_status();
}

void TokenHistory::add_generated(int32_t token) {
  assert(token >= 0 && static_cast<size_t>(token) < seen_.size());
  note_seen(token);
  ++generated_count_[static_cast<size_t>(token)];
  ++generated_total_;
}

void TokenHistory::note_seen(int32_t token) {
  uint8_t& seen = seen_[static_cast<size_t>(token)];
  if (!seen) {
    seen = 1;
    distinct_.push_back(token);  // never reallocates: capacity is the vocabulary size
  }
}

Status validate_penalty_params(const PenaltyParams& params) {
  // transformers and vLLM require a strictly positive repetition penalty; 0 would divide by 0.
  if (!(params.repetition > 0.0) || !std::isfinite(params.repetition)) {
    return make_error("repetition_penalty must be a finite number > 0, got {}", params.repetition);
  }
  if (!(params.presence >= -2.0 && params.presence <= 2.0)) {
    return make_error("presence_penalty must be in [-2, 2], got {}", params.presence);
  }
  if (!(params.frequency >= -2.0 && params.frequency <= 2.0)) {
    return make_error("frequency_penalty must be in [-2, 2], got {}", params.frequency);
  }
  return ok_status();
}

void apply_penalties(const PenaltyParams& params, const TokenHistory& history,
                     std::span<float> logits) {
  const auto repetition = static_cast<float>(params.repetition);
  const auto presence = static_cast<float>(params.presence);
  const auto frequency = static_cast<float>(params.frequency);
  for (const int32_t token : history.distinct_tokens()) {
    float& logit = logits[static_cast<size_t>(token)];
    // Every distinct token was in the prompt or generated: both are "in input_ids" for HF.
    if (params.repetition != 1.0) logit = logit < 0.0f ? logit * repetition : logit / repetition;
    const int32_t count = history.generated_count(token);
    if (count > 0) logit -= presence + frequency * static_cast<float>(count);
  }
}

}  // namespace qinfer
