// Next-token choice from one row of logits, in the order transformers' generate applies its
// processors and warpers:
//
//   logits -> logit_bias -> repetition penalty -> presence/frequency penalties   (raw logits)
//          -> argmax when temperature == 0 (lowest id on ties, as torch.argmax)
//          -> / temperature -> top_k -> top_p -> min_p -> seeded draw
//
// logit_bias comes first as in vLLM and llama.cpp (HF has no OpenAI-style bias). vLLM applies
// min_p before top_k/top_p; that gives a different set only when top_p < 1 and min_p > 0 are
// combined (min_p before top_p shrinks the mass top_p measures); we follow transformers, whose
// defaults Qwen publishes. top_k keeps every token tied with the k-th logit (transformers'
// `scores < topk(...)[-1]` rule), top_p keeps the most likely tokens while the mass strictly
// above a token is < top_p (so always at least one), min_p keeps p >= min_p * p_max.
//
// Cost per token: one vectorized max pass, then per setting: top_k finds its threshold with a
// k-sized heap and sorts only the k survivors; top_p without top_k computes every weight, buckets
// the mass by weight and sorts only the bucket where the nucleus ends; min_p alone is a
// threshold; no filter is one weight pass and a walk. Nothing sorts the vocabulary, and buffers
// are sized for the vocabulary once: sampling allocates nothing per token.
//
// Reproducibility: the random stream is mt19937_64 (fully specified by the C++ standard) turned
// into uniforms by hand (std::uniform_real_distribution is not portable); weights come from a
// polynomial exp built from IEEE float operations without FMA contraction (softmax_weights.h),
// and every sum has a fixed order. So the same seed and logits give the same tokens on every
// platform (a golden test pins them).
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "base/expected.h"
#include "sampling/logit_bias.h"
#include "sampling/penalties.h"

namespace qinfer {

struct SamplerParams {
  double temperature = 0.0;  // 0 = greedy (argmax, lowest id on ties); finite, >= 0
  int64_t top_k = 0;         // keep the k most likely tokens (and ties); 0 = all
  double top_p = 1.0;        // in (0, 1]; keep the most likely tokens reaching mass top_p; 1 = all
  uint64_t seed = 0;         // same seed + same logits = same tokens
  double min_p = 0.0;        // in [0, 1]; keep tokens with p >= min_p * p_max; 0 = all
  double repetition_penalty = 1.0;  // > 0, HF semantics over prompt + generated; 1 = off
  double presence_penalty = 0.0;    // [-2, 2], OpenAI semantics over generated tokens; 0 = off
  double frequency_penalty = 0.0;   // [-2, 2], OpenAI semantics over generated tokens; 0 = off
  std::vector<LogitBias> logit_bias = {};  // token -> additive bias in [-100, 100]; -100 bans
};

// Checks every field except that logit_bias ids lie inside the vocabulary.
Status validate_sampler_params(const SamplerParams& params);
// Checks every field, logit_bias ids against [0, vocab_size) included.
Status validate_sampler_params(const SamplerParams& params, int64_t vocab_size);

class Sampler {
 public:
  // `params` must pass validate_sampler_params(params, vocab_size) (create() checks it).
  Sampler(int64_t vocab_size, const SamplerParams& params);
  static Expected<Sampler> create(int64_t vocab_size, const SamplerParams& params);

  // Starts a sequence: forgets earlier tokens and records the prompt, which the repetition
  // penalty sees. Without a call the history starts empty. Fails on ids outside the vocabulary.
  Status set_prompt(std::span<const int32_t> prompt);

  // Picks a token id from logits [vocab_size] and records it as generated (for the penalties).
  int32_t sample(std::span<const float> logits);

  // The same, choosing only among the tokens whose bit is set in `allowed` (bit id % 64 of word
  // id / 64, at least vocab_size bits): a grammar's mask. The others become -inf after
  // logit_bias and penalties, before the greedy choice, temperature and the filters, so top_k,
  // top_p and min_p act on the allowed tokens only. When every allowed token is at -inf (banned
  // by logit_bias) the returned id is not allowed; callers check.
  int32_t sample(std::span<const float> logits, std::span<const uint64_t> allowed);

  // Records a generated token the sampler did not choose (a forced or grammar-completed token).
  // Never call it for the ids sample() returned: those are recorded already.
  void accept(int32_t token);

  const SamplerParams& params() const { return params_; }

 private:
  std::span<const float> adjusted_logits(std::span<const float> logits, bool always_copy = false);
  int32_t choose(std::span<const float> adjusted);
  int32_t sample_stochastic(std::span<const float> logits);
  int32_t sample_top_k(std::span<const float> logits, float max_logit);
  int32_t sample_top_p(std::span<const float> logits, float max_logit);
  int32_t sample_unordered(std::span<const float> logits, float max_logit);
  int32_t sample_sorted_candidates(int64_t count, double total_weight);
  void sort_candidates(std::span<const float> logits, size_t begin, size_t end);
  void weigh_candidates(std::span<const float> logits, float max_logit, int64_t count);
  double uniform();  // [0, 1) from 53 random bits: identical on every platform

  SamplerParams params_;
  PenaltyParams penalties_;
  float inv_temperature_ = 0.0f;
  std::mt19937_64 rng_;
  TokenHistory history_;
  std::vector<float> adjusted_;      // [V] logits after bias and penalties
  std::vector<float> weight_;        // [V] exp((logit - max) / T), by id or by candidate rank
  std::vector<int32_t> candidates_;  // [V] ids still in the running, most likely first
};

}  // namespace qinfer
