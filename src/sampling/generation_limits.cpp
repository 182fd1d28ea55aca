#include "sampling/generation_limits.h"

#include <algorithm>

namespace qinfer {

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kNone: break;
  }
  return "";
}

Expected<GenerationLimits> GenerationLimits::create(std::span<const int64_t> eos_token_ids,
                                                    int64_t max_new_tokens, int64_t vocab_size,
                                                    bool ignore_eos) {
  if (max_new_tokens < 1) return make_error("max new tokens must be >= 1, got {}", max_new_tokens);
  GenerationLimits limits;
  for (const int64_t id : eos_token_ids) {
    if (id < 0 || id >= vocab_size) {
      return make_error("end-of-sequence token id {} is outside the vocabulary [0, {})", id,
                        vocab_size);
    }
    limits.eos_token_ids_.push_back(static_cast<int32_t>(id));
  }
  std::sort(limits.eos_token_ids_.begin(), limits.eos_token_ids_.end());
  limits.eos_token_ids_.erase(
      std::unique(limits.eos_token_ids_.begin(), limits.eos_token_ids_.end()),
      limits.eos_token_ids_.end());
  limits.max_new_tokens_ = max_new_tokens;
  limits.ignore_eos_ = ignore_eos;
  return limits;
}

bool GenerationLimits::is_eos(int32_t token) const {
  return std::find(eos_token_ids_.begin(), eos_token_ids_.end(), token) != eos_token_ids_.end();
}

FinishReason GenerationLimits::check(int32_t token, int64_t generated) const {
  if (!ignore_eos_ && is_eos(token)) return FinishReason::kStop;
  if (generated >= max_new_tokens_) return FinishReason::kLength;
  return FinishReason::kNone;
}

}  // namespace qinfer
