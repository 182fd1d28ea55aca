// No FMA contraction in this file: a fused a*b+c rounds once where a*b then +c rounds twice, so
// contraction (GCC's default on ARM) would make weights differ between platforms by an ulp.
// no-trapping-math (clang's default) lets GCC if-convert the range selects and vectorize; it
// changes no result, only the promise that FP exceptions are raised where the source says.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off", "no-trapping-math")
#endif

#include "sampling/softmax_weights.h"

#include <bit>
#include <limits>

namespace qinfer {
namespace {

// exp(x) for x <= 0, Cephes expf's scheme: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so
// n*ln2 is exact), exp(r) by a degree-7 polynomial, 2^n put into the exponent bits. Branch-free
// so that loops over it vectorize; x < -87 (and NaN) gives 0, below the smallest normal float.
inline float exp_nonpositive(float x) {
  const bool in_range = x >= -87.0f;  // false for NaN too
  const float xc = in_range ? x : -87.0f;
  // n = round(x / ln2), rounding half away from zero via truncation of x/ln2 - 0.5 (x <= 0).
  const int n = static_cast<int>(xc * 1.44269504088896341f - 0.5f);
  const float nf = static_cast<float>(n);
  const float r = (xc - nf * 0.693359375f) - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const float scale = std::bit_cast<float>(static_cast<uint32_t>(n + 127) << 23);  // 2^n, n >= -126
  // A multiply by 0 or 1 rather than a select of the result: GCC turns a select into a branch
  // around the whole computation, which stops vectorization.
  return p * scale * (in_range ? 1.0f : 0.0f);
}

}  // namespace

float max_value(std::span<const float> values) {
  // Eight independent maxima: no dependency chain, and a form (a > b ? a : b) that maps onto
  // SIMD max instructions.
  float best[8];
  for (float& b : best) b = -std::numeric_limits<float>::infinity();
  size_t i = 0;
  for (; i + 8 <= values.size(); i += 8) {
    for (size_t j = 0; j < 8; ++j) best[j] = values[i + j] > best[j] ? values[i + j] : best[j];
  }
  for (; i < values.size(); ++i) best[0] = values[i] > best[0] ? values[i] : best[0];
  float result = best[0];
  for (size_t j = 1; j < 8; ++j) result = best[j] > result ? best[j] : result;
  return result;
}

int32_t argmax_first(std::span<const float> values) {
  const float best = max_value(values);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] == best) return static_cast<int32_t>(i);
  }
  return 0;  // all NaN
}

float exp_weight(float logit, float max_logit, float inv_temperature) {
  return exp_nonpositive((logit - max_logit) * inv_temperature);
}

void exp_weights(std::span<const float> logits, float max_logit, float inv_temperature,
                 std::span<float> weights) {
  const float* in = logits.data();
  float* out = weights.data();
  const size_t n = logits.size();
  for (size_t i = 0; i < n; ++i) out[i] = exp_nonpositive((in[i] - max_logit) * inv_temperature);
}

double sum_fixed_order(std::span<const float> values) {
  double part[4] = {0.0, 0.0, 0.0, 0.0};
  size_t i = 0;
  for (; i + 4 <= values.size(); i += 4) {
    for (size_t j = 0; j < 4; ++j) part[j] += static_cast<double>(values[i + j]);
  }
  for (; i < values.size(); ++i) part[0] += static_cast<double>(values[i]);
  return (part[0] + part[1]) + (part[2] + part[3]);
}

}  // namespace qinfer
