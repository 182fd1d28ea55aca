// Repetition penalties and the token history they read.
//
// repetition_penalty (HF transformers' RepetitionPenaltyLogitsProcessor, CTRL paper): every token
// id present in prompt + generated text so far has its logit divided by the penalty when positive
// and multiplied by it when negative (so penalty > 1 always makes the token less likely).
//
// presence_penalty / frequency_penalty (OpenAI): logit -= presence * (count > 0) + frequency *
// count, where count is how often the token was *generated* so far. OpenAI's own description
// ("how often token j was sampled prior to the current position") and vLLM count generated tokens
// only; llama.cpp instead feeds the prompt into its last-64-token window as well. We follow OpenAI
// and vLLM: a chat prompt repeats the system prompt and earlier turns, and penalizing those words
// would push answers away from the user's own vocabulary. (repetition_penalty does see the prompt,
// as in transformers and vLLM.)
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/expected.h"

namespace qinfer {

// Which token ids occurred in the prompt and how often each was generated. Dense per-id arrays
// sized once for the vocabulary, plus the list of distinct ids seen, so that applying penalties
// and resetting cost O(distinct tokens), never O(vocab), and nothing allocates per token.
class TokenHistory {
 public:
  explicit TokenHistory(int64_t vocab_size);

  // Forgets the previous sequence and records `prompt` (ids must be inside the vocabulary).
  Status reset(std::span<const int32_t> prompt);
  // Records one generated token (an id inside the vocabulary).
  void add_generated(int32_t token);

  std::span<const int32_t> distinct_tokens() const { return distinct_; }
  bool in_prompt(int32_t token) const { return in_prompt_[static_cast<size_t>(token)] != 0; }
  int32_t generated_count(int32_t token) const {
    return generated_count_[static_cast<size_t>(token)];
  }
  int64_t generated_total() const { return generated_total_; }

 private:
  void note_seen(int32_t token);

  std::vector<uint8_t> in_prompt_;         // [V] 1 when the id occurs in the prompt
  std::vector<int32_t> generated_count_;   // [V] times the id was generated
  std::vector<uint8_t> seen_;              // [V] 1 when the id is in distinct_
  std::vector<int32_t> distinct_;          // ids seen in prompt or generation; capacity V
  int64_t generated_total_ = 0;
};

struct PenaltyParams {
  double repetition = 1.0;  // > 0; 1 = off
  double presence = 0.0;    // [-2, 2]; 0 = off
  double frequency = 0.0;   // [-2, 2]; 0 = off

  bool active() const { return repetition != 1.0 || presence != 0.0 || frequency != 0.0; }
};

Status validate_penalty_params(const PenaltyParams& params);

// Applies all three penalties to the logits of the tokens in `history`.
void apply_penalties(const PenaltyParams& params, const TokenHistory& history,
                     std::span<float> logits);

}  // namespace qinfer
