// The vocabulary-wide passes of sampling, written so that the compiler vectorizes them:
// max, argmax, and softmax weights exp((logit - max) / T) through a polynomial exp.
//
// Why not std::exp: a libm call per logit cannot be vectorized and costs ~1 ms per row of
// 151,936 logits; and its last bit differs between C libraries, so seeded draws could differ
// between platforms. exp_weight() below uses only IEEE float add/mul/convert, and its file is
// compiled without FMA contraction, so the same logits give bit-identical weights on x86 and
// ARM (relative error < 2e-7 against exp).
#pragma once

#include <cstdint>
#include <span>

namespace qinfer {

// Largest value ignoring NaN; -inf for an empty or all-NaN row.
float max_value(std::span<const float> values);

// Index of the first occurrence of the largest value (torch.argmax's tie rule); 0 if none.
int32_t argmax_first(std::span<const float> values);

// exp((logit - max_logit) * inv_temperature) in (0, 1]; 0 below e^-87 (and for -inf or NaN).
float exp_weight(float logit, float max_logit, float inv_temperature);

// weights[i] = exp_weight(logits[i], ...), bit-identical to the scalar function.
void exp_weights(std::span<const float> logits, float max_logit, float inv_temperature,
                 std::span<float> weights);

// Sum in double, in a fixed order (four interleaved partial sums), the same on every platform.
double sum_fixed_order(std::span<const float> values);

}  // namespace qinfer
