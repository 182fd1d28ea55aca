// OpenAI's logit_bias: a map token id -> bias added to that token's logit before anything else.
// The documented range is [-100, 100]; OpenAI says -100 "should result in a ban". An additive
// -100 is not a ban when a logit leads by more than 100 (possible after a large bias elsewhere or
// with a degenerate model), so a bias of exactly -100 sets the logit to -inf: the token can never
// be chosen. +100 stays additive (it makes the token all but certain, as in OpenAI's API).
#pragma once

#include <cstdint>
#include <span>

#include "base/expected.h"

namespace qinfer {

struct LogitBias {
  int32_t token = 0;
  float bias = 0.0f;  // in [-100, 100]; -100 bans the token
};

inline constexpr float kLogitBiasLimit = 100.0f;

// Every token inside [0, vocab_size), each at most once, every bias finite within [-100, 100],
// and at least one token left unbanned (otherwise no token could be sampled).
Status validate_logit_bias(std::span<const LogitBias> biases, int64_t vocab_size);

// logits[token] += bias (or = -inf for a ban). `biases` must have passed validate_logit_bias.
void apply_logit_bias(std::span<const LogitBias> biases, std::span<float> logits);

}  // namespace qinfer
