// Test helpers: an independent reference for the filtered next-token distribution, written the
// way transformers' warpers are (full sort, ascending cumulative sum for top_p), and Pearson's
// chi-square goodness-of-fit test.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

namespace qinfer::testing {

struct Filters {
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  double min_p = 0.0;
};

inline std::vector<double> softmax(const std::vector<double>& scores) {
  const double max = *std::max_element(scores.begin(), scores.end());
  std::vector<double> p(scores.size());
  double total = 0.0;
  for (size_t i = 0; i < scores.size(); ++i) total += p[i] = std::exp(scores[i] - max);
  for (double& v : p) v /= total;
  return p;
}

// Probabilities after temperature -> top_k -> top_p -> min_p, removed tokens exactly 0.
inline std::vector<double> reference_distribution(std::span<const float> logits,
                                                  const Filters& f) {
  const size_t n = logits.size();
  const double inf = INFINITY;
  std::vector<double> scores(n);
  for (size_t i = 0; i < n; ++i) scores[i] = logits[i] / f.temperature;
  if (f.top_k > 0 && static_cast<size_t>(f.top_k) < n) {
    // TopKLogitsWarper: remove scores < the k-th largest score.
    std::vector<double> sorted = scores;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    const double kth = sorted[static_cast<size_t>(f.top_k - 1)];
    for (double& s : scores) if (s < kth) s = -inf;
  }
  if (f.top_p < 1.0) {
    // TopPLogitsWarper: sort ascending, remove tokens whose cumulative probability <= 1 - top_p,
    // always keep the last (most likely) one.
    std::vector<double> p = softmax(scores);
    std::vector<size_t> ascending(n);
    std::iota(ascending.begin(), ascending.end(), size_t{0});
    std::stable_sort(ascending.begin(), ascending.end(), [&](size_t a, size_t b) {
      return scores[a] < scores[b] || (scores[a] == scores[b] && a > b);
    });
    double cumulative = 0.0;
    for (size_t r = 0; r + 1 < n; ++r) {
      cumulative += p[ascending[r]];
      if (cumulative <= 1.0 - f.top_p) scores[ascending[r]] = -inf;
    }
  }
  if (f.min_p > 0.0) {
    // MinPLogitsWarper: remove probs < min_p * max prob.
    std::vector<double> p = softmax(scores);
    const double top = *std::max_element(p.begin(), p.end());
    for (size_t i = 0; i < n; ++i) if (p[i] < f.min_p * top) scores[i] = -inf;
  }
  return softmax(scores);
}

// Upper regularized incomplete gamma Q(a, x) (Numerical Recipes: series below a + 1, Lentz's
// continued fraction above).
inline double gamma_q(double a, double x) {
  if (x <= 0.0) return 1.0;
  const double log_prefix = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1.0) {
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 1000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * 1e-15) break;
    }
    return 1.0 - sum * std::exp(log_prefix);
  }
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < 1e-15) break;
  }
  return std::exp(log_prefix) * h;
}

struct ChiSquare {
  double statistic = 0.0;
  int degrees_of_freedom = 0;
  double p_value = 1.0;
  int64_t observed_outside_support = 0;  // draws of tokens whose expected probability is 0
};

// Goodness of fit of `counts` to `expected` probabilities. Bins with expected count < 5 are
// pooled into one bin (the usual validity rule); bins with probability 0 must stay empty.
inline ChiSquare chi_square(std::span<const int64_t> counts, std::span<const double> expected) {
  int64_t draws = 0;
  for (const int64_t c : counts) draws += c;
  ChiSquare result;
  double pooled_expected = 0.0;
  int64_t pooled_observed = 0;
  int bins = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double e = expected[i] * static_cast<double>(draws);
    if (expected[i] == 0.0) {
      result.observed_outside_support += counts[i];
    } else if (e < 5.0) {
      pooled_expected += e;
      pooled_observed += counts[i];
    } else {
      const double diff = static_cast<double>(counts[i]) - e;
      result.statistic += diff * diff / e;
      ++bins;
    }
  }
  if (pooled_expected > 0.0) {
    const double diff = static_cast<double>(pooled_observed) - pooled_expected;
    result.statistic += diff * diff / pooled_expected;
    ++bins;
  }
  result.degrees_of_freedom = std::max(bins - 1, 1);
  result.p_value = gamma_q(result.degrees_of_freedom / 2.0, result.statistic / 2.0);
  return result;
}

}  // namespace qinfer::testing
