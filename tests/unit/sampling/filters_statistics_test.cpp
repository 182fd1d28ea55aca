// Each filter's output distribution against an independent reference (distribution_checks.h),
// by chi-square goodness of fit with fixed seeds: deterministic, and each test also shows that
// the same counts reject the distribution without the filter, so the test has the power to fail.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "distribution_checks.h"
#include "sampling/sampler.h"

namespace qinfer {
namespace {

using testing::chi_square;
using testing::Filters;
using testing::reference_distribution;

// 16 logits: a clear head, a tie at ranks 5-6 (top_k = 5 must keep both), a long flat tail.
const std::vector<float> kSmallLogits = {2.0f, 3.1f, 0.5f, 2.6f, 1.2f, 2.6f, -0.4f, 3.3f,
                                         1.9f, 0.0f, -1.5f, 2.9f, 0.8f, -3.0f, 1.5f, 0.2f};

std::vector<int64_t> draw_counts(std::span<const float> logits, const SamplerParams& params,
                                 int64_t draws) {
  Sampler sampler(static_cast<int64_t>(logits.size()), params);
  std::vector<int64_t> counts(logits.size(), 0);
  for (int64_t i = 0; i < draws; ++i) ++counts[static_cast<size_t>(sampler.sample(logits))];
  return counts;
}

SamplerParams params_of(const Filters& f, uint64_t seed) {
  return SamplerParams{.temperature = f.temperature, .top_k = f.top_k, .top_p = f.top_p,
                       .seed = seed, .min_p = f.min_p};
}

// Counts fit `filters`' reference distribution, never fall outside its support, and reject the
// reference of `wrong` (the same filters with the one under test switched off).
void expect_fits(std::span<const float> logits, const Filters& filters, const Filters& wrong,
                 uint64_t seed, int64_t draws) {
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  const std::vector<int64_t> counts = draw_counts(logits, params_of(filters, seed), draws);
  const std::vector<double> expected = reference_distribution(logits, filters);
  const testing::ChiSquare fit = chi_square(counts, expected);
  EXPECT_EQ(fit.observed_outside_support, 0);
  EXPECT_GT(fit.p_value, 1e-4) << "chi2 " << fit.statistic << " df " << fit.degrees_of_freedom;
  const std::vector<double> unfiltered = reference_distribution(logits, wrong);
  const testing::ChiSquare misfit = chi_square(counts, unfiltered);
  EXPECT_LT(misfit.p_value, 1e-4) << "the test cannot tell the filter from its absence";
}

TEST(SamplerStatistics, Temperature) {
  expect_fits(kSmallLogits, {.temperature = 0.6}, {.temperature = 1.0}, 11, 200000);
  expect_fits(kSmallLogits, {.temperature = 1.7}, {.temperature = 1.0}, 12, 200000);
}

TEST(SamplerStatistics, TopKKeepsTiesAtTheBoundary) {
  const std::vector<double> expected = reference_distribution(kSmallLogits, {.top_k = 5});
  EXPECT_GT(expected[3], 0.0);  // logits 3.3, 3.1, 2.9, 2.6, 2.6: six tokens kept
  EXPECT_GT(expected[5], 0.0);
  EXPECT_EQ(expected[0], 0.0);
  expect_fits(kSmallLogits, {.temperature = 0.8, .top_k = 5}, {.temperature = 0.8}, 21, 200000);
  expect_fits(kSmallLogits, {.temperature = 1.0, .top_k = 1}, {.temperature = 1.0}, 22, 10000);
}

TEST(SamplerStatistics, TopP) {
  expect_fits(kSmallLogits, {.temperature = 1.0, .top_p = 0.8}, {.temperature = 1.0}, 31, 200000);
  expect_fits(kSmallLogits, {.temperature = 0.5, .top_p = 0.3}, {.temperature = 0.5}, 32, 200000);
}

TEST(SamplerStatistics, MinP) {
  expect_fits(kSmallLogits, {.temperature = 1.0, .min_p = 0.2}, {.temperature = 1.0}, 41, 200000);
  // Temperature comes first: at T = 2 the same min_p keeps more tokens.
  expect_fits(kSmallLogits, {.temperature = 2.0, .min_p = 0.2}, {.temperature = 2.0}, 42, 200000);
}

TEST(SamplerStatistics, AllFiltersTogetherInTransformersOrder) {
  const Filters all{.temperature = 0.7, .top_k = 9, .top_p = 0.9, .min_p = 0.08};
  expect_fits(kSmallLogits, all, {.temperature = 0.7, .top_k = 9}, 51, 200000);
  expect_fits(kSmallLogits, all, {.temperature = 0.7, .top_k = 9, .min_p = 0.08}, 52, 200000);
  // top_p then min_p is not min_p then top_p (vLLM's order): here the sets differ.
  const Filters qwen{.temperature = 1.0, .top_p = 0.6, .min_p = 0.3};
  const std::vector<double> ours = reference_distribution(kSmallLogits, qwen);
  const std::vector<double> min_p_only = reference_distribution(kSmallLogits, {.min_p = 0.3});
  EXPECT_NE(ours, min_p_only);
  expect_fits(kSmallLogits, qwen, {.temperature = 1.0, .min_p = 0.3}, 53, 200000);
}

// A vocabulary the size of Qwen3's, whose long tail holds a few percent of the mass, so that the
// fast paths (top_k heap, top_p buckets, min_p threshold, full walk) are exercised on real sizes
// and the tail's mass matters to where top_p cuts.
std::vector<float> large_logits() {
  std::vector<float> logits(151936);
  std::mt19937_64 rng(7);
  for (float& l : logits) l = static_cast<float>(rng() >> 40) * 0x1p-24f * 4.0f - 6.0f;  // [-6, -2)
  const float head[] = {9.0f, 8.6f, 8.5f, 8.1f, 7.7f, 7.7f, 7.2f, 6.9f, 6.5f, 6.4f,
                        6.0f, 5.8f, 5.5f, 5.1f, 5.0f, 4.6f, 4.2f, 4.0f, 3.5f, 3.1f,
                        2.9f, 2.5f, 2.0f, 1.5f};
  for (size_t i = 0; i < std::size(head); ++i) logits[1000 + i * 5003] = head[i];
  return logits;
}

TEST(SamplerStatistics, LargeVocabularyFastPaths) {
  const std::vector<float> logits = large_logits();
  const int64_t draws = 3000;
  // The tail holds mass: without it top_p = 0.95 would keep another token set.
  const std::vector<double> full = reference_distribution(logits, {.temperature = 1.0});
  double head_mass = 0.0;
  for (size_t i = 0; i < 24; ++i) head_mass += full[1000 + i * 5003];
  EXPECT_LT(head_mass, 0.97);
  EXPECT_GT(head_mass, 0.85);

  expect_fits(logits, {.temperature = 1.0}, {.temperature = 0.8}, 61, draws);
  expect_fits(logits, {.temperature = 0.6, .top_k = 5}, {.temperature = 0.6}, 62, draws);
  expect_fits(logits, {.temperature = 1.0, .top_p = 0.95}, {.temperature = 1.0}, 63, draws);
  expect_fits(logits, {.temperature = 1.0, .min_p = 0.05}, {.temperature = 1.0}, 65, draws);
  expect_fits(logits, {.temperature = 0.7, .top_k = 20, .top_p = 0.8, .min_p = 0.01},
              {.temperature = 0.7, .top_k = 20}, 66, draws);
  expect_fits(logits, {.temperature = 1.3, .top_p = 0.95, .min_p = 0.02},
              {.temperature = 1.3, .top_p = 0.95}, 67, draws);
}

}  // namespace
}  // namespace qinfer
