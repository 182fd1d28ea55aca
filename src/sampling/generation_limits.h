// When generation ends for a reason other than a stop string: an end-of-sequence token or the
// token budget. Qwen3's generation_config.json lists two EOS ids, <|im_end|> (151645, ends a chat
// turn) and <|endoftext|> (151643, ends a raw completion); both must stop, whatever the mode.
//
// A run loop, per generated token (stop strings via StopMatcher, text via the streaming
// detokenizer):
//
//   const int32_t token = sampler.sample(logits);
//   ++generated;
//   FinishReason finish = limits.check(token, generated);
//   if (finish == FinishReason::kStop) { show(matcher.flush()); break; }  // EOS text not shown
//   const StopMatcher::Step step = matcher.push(detokenizer.push(token));
//   show(step.emit);
//   if (step.stopped) { finish = FinishReason::kStop; break; }
//   if (finish == FinishReason::kLength) { show(matcher.flush()); break; }
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace qinfer {

// OpenAI's finish_reason values that sampling decides ("tool_calls" is the chat layer's).
enum class FinishReason { kNone, kStop, kLength };

// "stop", "length", or "" for kNone.
std::string_view finish_reason_name(FinishReason reason);

class GenerationLimits {
 public:
  // eos_token_ids: generation_config.json's eos_token_id list (and config.json's), duplicates
  // allowed; each inside [0, vocab_size). max_new_tokens >= 1: the request's max_tokens bounded
  // by the context left after the prompt (the caller knows both). ignore_eos: keep going past
  // EOS tokens (benchmarks that need exactly max_new_tokens tokens).
  static Expected<GenerationLimits> create(std::span<const int64_t> eos_token_ids,
                                           int64_t max_new_tokens, int64_t vocab_size,
                                           bool ignore_eos = false);

  // After a token is generated; `generated` counts the generated tokens including this one.
  // kStop: the token is an end-of-sequence id (its text is not part of the output).
  // kLength: the budget is used up (the token is part of the output). Else kNone.
  FinishReason check(int32_t token, int64_t generated) const;

  bool is_eos(int32_t token) const;
  std::span<const int32_t> eos_token_ids() const { return eos_token_ids_; }
  int64_t max_new_tokens() const { return max_new_tokens_; }

 private:
  std::vector<int32_t> eos_token_ids_;  // sorted, distinct; a handful, so a linear scan
  int64_t max_new_tokens_ = 0;
  bool ignore_eos_ = false;
};

}  // namespace qinfer
