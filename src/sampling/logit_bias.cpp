#include "sampling/logit_bias.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace qinfer {

Status validate_logit_bias(std::span<const LogitBias> biases, int64_t vocab_size) {
  for (const LogitBias& entry : biases) {
    if (entry.token < 0 || entry.token >= vocab_size) {
      return make_error("logit_bias: token id {} is outside the vocabulary [0, {})", entry.token,
                        vocab_size);
    }
    if (!(std::abs(entry.bias) <= kLogitBiasLimit)) {  // also rejects NaN
      return make_error("logit_bias: bias {} for token {} is outside [-100, 100]", entry.bias,
                        entry.token);
    }
  }
  // Duplicates are ambiguous (sum? last wins?); a JSON object cannot express them anyway.
  std::vector<int32_t> ids;
  ids.reserve(biases.size());
  int64_t banned = 0;
  for (const LogitBias& entry : biases) {
    ids.push_back(entry.token);
    banned += entry.bias <= -kLogitBiasLimit;
  }
  std::sort(ids.begin(), ids.end());
  const auto duplicate = std::adjacent_find(ids.begin(), ids.end());
  if (duplicate != ids.end()) {
    return make_error("logit_bias: token id {} appears more than once", *duplicate);
  }
  if (banned >= vocab_size) return make_error("logit_bias: bans every token of the vocabulary");
  return ok_status();
}

void apply_logit_bias(std::span<const LogitBias> biases, std::span<float> logits) {
  for (const LogitBias& entry : biases) {
    float& logit = logits[static_cast<size_t>(entry.token)];
    logit = entry.bias <= -kLogitBiasLimit ? -std::numeric_limits<float>::infinity()
                                           : logit + entry.bias;
  }
}

}  // namespace qinfer
