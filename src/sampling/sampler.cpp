#include "sampling/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "sampling/selection.h"
#include "sampling/softmax_weights.h"

namespace qinfer {

Status validate_sampler_params(const SamplerParams& params) {
  if (!(params.temperature >= 0.0) || !std::isfinite(params.temperature)) {
    return make_error("temperature must be a finite number >= 0, got {}", params.temperature);
  }
  if (params.top_k < 0) return make_error("top_k must be >= 0 (0 = off), got {}", params.top_k);
  if (!(params.top_p > 0.0 && params.top_p <= 1.0)) {
    return make_error("top_p must be in (0, 1], got {}", params.top_p);
  }
  if (!(params.min_p >= 0.0 && params.min_p <= 1.0)) {
    return make_error("min_p must be in [0, 1], got {}", params.min_p);
  }
  QINFER_RETURN_IF_ERROR(validate_penalty_params({.repetition = params.repetition_penalty,
                                                  .presence = params.presence_penalty,
                                                  .frequency = params.frequency_penalty}));
  return validate_logit_bias(params.logit_bias, std::numeric_limits<int32_t>::max());
}

Status validate_sampler_params(const SamplerParams& params, int64_t vocab_size) {
  if (vocab_size < 1) return make_error("vocabulary size must be >= 1, got {}", vocab_size);
  QINFER_RETURN_IF_ERROR(validate_sampler_params(params));
  return validate_logit_bias(params.logit_bias, vocab_size);
}

Sampler::Sampler(int64_t vocab_size, const SamplerParams& params)
    : params_(params),
      penalties_{.repetition = params.repetition_penalty,
                 .presence = params.presence_penalty,
                 .frequency = params.frequency_penalty},
      inv_temperature_(params.temperature > 0.0 ? static_cast<float>(1.0 / params.temperature)
                                                : 0.0f),
      rng_(params.seed),
      history_(vocab_size),
      adjusted_(static_cast<size_t>(vocab_size)),
      weight_(static_cast<size_t>(vocab_size)),
      candidates_(static_cast<size_t>(vocab_size)) {
  assert(validate_sampler_params(params, vocab_size).ok());
  // top_k >= V keeps everything: the same as off, without the heap pass.
  if (params_.top_k >= vocab_size) params_.top_k = 0;
}

Expected<Sampler> Sampler::create(int64_t vocab_size, const SamplerParams& params) {
  QINFER_RETURN_IF_ERROR(validate_sampler_params(params, vocab_size));
  return Sampler(vocab_size, params);
}

Status Sampler::set_prompt(std::span<const int32_t> prompt) { return history_.reset(prompt); }

void Sampler::accept(int32_t token) { history_.add_generated(token); }

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1p-53; }

int32_t Sampler::sample(std::span<const float> logits) {
  assert(logits.size() == adjusted_.size());
  return choose(adjusted_logits(logits));
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const uint64_t> allowed) {
  assert(logits.size() == adjusted_.size());
  assert(allowed.size() * 64 >= adjusted_.size());
  adjusted_logits(logits, /*always_copy=*/true);
  // Whole words at once where they are all allowed or all banned: a grammar mask is mostly one
  // or the other (inside a string nearly everything, between values nearly nothing).
  constexpr float kBanned = -std::numeric_limits<float>::infinity();
  const size_t vocab = adjusted_.size();
  for (size_t w = 0; w * 64 < vocab; ++w) {
    const uint64_t bits = allowed[w];
    if (bits == ~uint64_t{0}) continue;
    const size_t begin = w * 64;
    const size_t end = std::min(vocab, begin + 64);
    if (bits == 0) {
      std::fill(adjusted_.begin() + static_cast<std::ptrdiff_t>(begin),
                adjusted_.begin() + static_cast<std::ptrdiff_t>(end), kBanned);
      continue;
    }
    for (size_t i = begin; i < end; ++i) {
      if (!((bits >> (i - begin)) & 1)) adjusted_[i] = kBanned;
    }
  }
  return choose(adjusted_);
}

int32_t Sampler::choose(std::span<const float> adjusted) {
  const int32_t token =
      params_.temperature == 0.0 ? argmax_first(adjusted) : sample_stochastic(adjusted);
  history_.add_generated(token);
  return token;
}

std::span<const float> Sampler::adjusted_logits(std::span<const float> logits, bool always_copy) {
  const bool penalize = penalties_.active() && !history_.distinct_tokens().empty();
  if (params_.logit_bias.empty() && !penalize && !always_copy) return logits;
  std::copy(logits.begin(), logits.end(), adjusted_.begin());
  apply_logit_bias(params_.logit_bias, adjusted_);
  if (penalize) apply_penalties(penalties_, history_, adjusted_);
  return adjusted_;
}

int32_t Sampler::sample_stochastic(std::span<const float> logits) {
  const float max_logit = max_value(logits);
  if (!std::isfinite(max_logit)) {
    // Every logit is -inf or NaN (a broken model row): no distribution to draw from.
    return argmax_first(logits);
  }
  if (params_.top_k > 0) return sample_top_k(logits, max_logit);
  if (params_.top_p < 1.0) return sample_top_p(logits, max_logit);
  return sample_unordered(logits, max_logit);
}

// No top_k and no top_p: the kept set is {p >= min_p * p_max} = {weight >= min_p} (the most
// likely token's weight is exactly 1), which needs no order: draw walking ids in order.
int32_t Sampler::sample_unordered(std::span<const float> logits, float max_logit) {
  const std::span<float> weights(weight_);
  exp_weights(logits, max_logit, inv_temperature_, weights);
  if (params_.min_p > 0.0) {
    const auto min_weight = static_cast<float>(params_.min_p);
    for (float& w : weights) w = w >= min_weight ? w : 0.0f;
  }
  // The total is the sum of per-block sums, and the walk adds the same block sums in the same
  // order, so the running sum reaches exactly the total and the target (< total) is always met.
  constexpr size_t kBlock = 256;
  const size_t vocab = weights.size();
  double total = 0.0;
  for (size_t begin = 0; begin < vocab; begin += kBlock) {
    total += sum_fixed_order(weights.subspan(begin, std::min(kBlock, vocab - begin)));
  }
  const double target = uniform() * total;
  double cumulative = 0.0;
  for (size_t begin = 0; begin < vocab; begin += kBlock) {
    const size_t size = std::min(kBlock, vocab - begin);
    const double block = sum_fixed_order(weights.subspan(begin, size));
    if (target < cumulative + block) {
      // Inside the block, plain sequential sums: rounding may leave the target just past the
      // end; then the block's last token with weight takes it.
      int32_t last = -1;
      for (size_t i = begin; i < begin + size; ++i) {
        if (weights[i] == 0.0f) continue;
        cumulative += weights[i];
        last = static_cast<int32_t>(i);
        if (target < cumulative) return last;
      }
      if (last >= 0) return last;
    }
    cumulative += block;
  }
  return argmax_first(logits);  // unreachable: the block holding the target has weight
}

// Most likely first; ties by id so that the order (and so the draw) is fully determined.
void Sampler::sort_candidates(std::span<const float> logits, size_t begin, size_t end) {
  const auto base = candidates_.begin();
  std::sort(base + static_cast<std::ptrdiff_t>(begin), base + static_cast<std::ptrdiff_t>(end),
            [&](int32_t a, int32_t b) {
    const float la = logits[static_cast<size_t>(a)];
    const float lb = logits[static_cast<size_t>(b)];
    return la > lb || (la == lb && a < b);
  });
}

void Sampler::weigh_candidates(std::span<const float> logits, float max_logit, int64_t count) {
  for (int64_t j = 0; j < count; ++j) {
    weight_[static_cast<size_t>(j)] = exp_weight(
        logits[static_cast<size_t>(candidates_[static_cast<size_t>(j)])], max_logit,
        inv_temperature_);
  }
}

int32_t Sampler::sample_top_k(std::span<const float> logits, float max_logit) {
  // The heap lives in weight_, which is free until the candidates' weights are computed.
  const float threshold = kth_largest(logits, params_.top_k, weight_);
  int64_t count = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] >= threshold) candidates_[static_cast<size_t>(count++)] = static_cast<int32_t>(i);
  }
  // top_p and min_p cut a prefix of the sorted candidates; top_k alone draws in id order.
  if (params_.top_p < 1.0 || params_.min_p > 0.0) {
    sort_candidates(logits, 0, static_cast<size_t>(count));
  }
  weigh_candidates(logits, max_logit, count);
  // After top_k the softmax renormalizes over the survivors: top_p measures mass among them.
  double total = 0.0;
  for (int64_t j = 0; j < count; ++j) total += weight_[static_cast<size_t>(j)];
  return sample_sorted_candidates(count, total);
}

int32_t Sampler::sample_top_p(std::span<const float> logits, float max_logit) {
  // Pass 1: every weight (top_p is relative to the full mass) and the mass per bucket.
  const std::span<float> weights(weight_);
  exp_weights(logits, max_logit, inv_temperature_, weights);
  MassBuckets buckets;
  buckets.add(weights);
  const double total = sum_fixed_order(weights);
  // The nucleus ends inside the first bucket where the mass from the top reaches top_p: tokens
  // of earlier buckets are kept for sure, tokens of later ones have at least that much mass above
  // them. Only that boundary bucket needs an order; the next one joins it to absorb the different
  // rounding of bucket sums and of the exact walk below.
  const double nucleus_mass = params_.top_p * total;
  int boundary = MassBuckets::kCount - 1;
  double cumulative = 0.0;
  for (int b = 0; b < MassBuckets::kCount; ++b) {
    cumulative += buckets.mass(b);
    if (cumulative >= nucleus_mass) {
      boundary = b;
      break;
    }
  }
  // Pass 2: sure tokens from the front of candidates_, boundary tokens from the back. Tokens
  // below min_p are dropped here: they rank below every token min_p keeps, so they never count
  // in the mass above a kept token (a kept boundary token has every sure token above min_p too).
  const float min_weight = std::max(static_cast<float>(params_.min_p),
                                    std::numeric_limits<float>::denorm_min());
  const float sure_weight = MassBuckets::lower_edge(boundary - 1);   // buckets < boundary
  const float boundary_weight = MassBuckets::lower_edge(std::min(boundary + 1, MassBuckets::kCount - 1));
  const size_t vocab = weights.size();
  size_t sure = 0;
  size_t back = vocab;
  for (size_t i = 0; i < vocab; ++i) {
    const float w = weights[i];
    if (!(w >= min_weight)) continue;
    if (boundary > 0 && w >= sure_weight) {
      candidates_[sure++] = static_cast<int32_t>(i);
    } else if (w >= boundary_weight) {
      candidates_[--back] = static_cast<int32_t>(i);
    }
  }
  sort_candidates(logits, back, vocab);
  double kept_weight = 0.0;
  for (size_t j = 0; j < sure; ++j) kept_weight += weights[static_cast<size_t>(candidates_[j])];
  // Keep a boundary token while the mass strictly above it is < top_p (transformers removes
  // tokens whose ascending cumulative probability is <= 1 - top_p); at least one token overall.
  size_t kept_end = back;
  while (kept_end < vocab && (kept_weight < nucleus_mass || (sure == 0 && kept_end == back))) {
    kept_weight += weights[static_cast<size_t>(candidates_[kept_end++])];
  }
  // Draw over the sure tokens (id order), then the kept boundary tokens (most likely first).
  const double target = uniform() * kept_weight;
  double running = 0.0;
  int32_t last = -1;
  const auto visit = [&](size_t j) {
    last = candidates_[j];
    running += weights[static_cast<size_t>(last)];
    return target < running;
  };
  for (size_t j = 0; j < sure; ++j) if (visit(j)) return last;
  for (size_t j = back; j < kept_end; ++j) if (visit(j)) return last;
  return last;  // unreachable: the same sums in the same order make running == kept_weight
}

// The top_k survivors candidates_[0, count) with their weights in weight_[0, count), sorted
// most likely first when top_p or min_p is on; total_weight is their mass. Applies top_p, then
// min_p, then draws.
int32_t Sampler::sample_sorted_candidates(int64_t count, double total_weight) {
  int64_t kept = count;
  double kept_weight = 0.0;
  if (params_.top_p < 1.0) {
    // Keep a token while the mass strictly above it is < top_p (transformers removes tokens
    // whose ascending cumulative probability is <= 1 - top_p).
    const double nucleus_mass = params_.top_p * total_weight;
    for (int64_t j = 0; j < count; ++j) {
      if (kept_weight >= nucleus_mass) {
        kept = j;
        break;
      }
      kept_weight += weight_[static_cast<size_t>(j)];
    }
  }
  if (params_.min_p > 0.0) {
    // Weights are relative to the most likely token (weight 1), so p >= min_p * p_max is
    // weight >= min_p; candidates are sorted, so the survivors are a prefix.
    const auto min_weight = static_cast<float>(params_.min_p);
    int64_t j = 1;  // the most likely token always survives
    while (j < kept && weight_[static_cast<size_t>(j)] >= min_weight) ++j;
    kept = j;
  }
  kept_weight = 0.0;
  for (int64_t j = 0; j < kept; ++j) kept_weight += weight_[static_cast<size_t>(j)];
  const double target = uniform() * kept_weight;
  double cumulative = 0.0;
  for (int64_t j = 0; j < kept; ++j) {
    cumulative += weight_[static_cast<size_t>(j)];
    if (target < cumulative) return candidates_[static_cast<size_t>(j)];
  }
  return candidates_[static_cast<size_t>(kept - 1)];  // unreachable: same sum as kept_weight
}

}  // namespace qinfer
