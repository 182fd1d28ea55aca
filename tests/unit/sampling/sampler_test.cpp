#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace qinfer {
namespace {

TEST(Sampler, GreedyTakesFirstMaximum) {
  Sampler sampler(5, SamplerParams{});
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
  EXPECT_EQ(sampler.sample(logits), 1);
  // Ties at the very end and at the start; NaN never wins.
  Sampler tie_at_ends(4, SamplerParams{});
  EXPECT_EQ(tie_at_ends.sample(std::vector<float>{3.0f, NAN, 1.0f, 3.0f}), 0);
  std::vector<float> big(151936, -1.0f);
  big[151935] = 5.0f;
  big[70000] = 5.0f;
  Sampler large(151936, SamplerParams{});
  EXPECT_EQ(large.sample(big), 70000);
}

TEST(Sampler, SameSeedSameTokensOnEveryPath) {
  std::vector<float> logits(5000);
  std::mt19937_64 rng(3);
  for (float& l : logits) l = static_cast<float>(rng() >> 40) * 0x1p-24f * 12.0f;
  const SamplerParams settings[] = {
      {.temperature = 1.0, .seed = 42},
      {.temperature = 0.6, .top_k = 20, .seed = 42},
      {.temperature = 0.6, .top_p = 0.95, .seed = 42},
      {.temperature = 0.8, .seed = 42, .min_p = 0.05},
      {.temperature = 0.7, .top_k = 20, .top_p = 0.8, .seed = 42, .min_p = 0.01,
       .repetition_penalty = 1.2, .presence_penalty = 0.5, .frequency_penalty = 0.3,
       .logit_bias = {{.token = 17, .bias = 3.0f}}},
  };
  for (const SamplerParams& params : settings) {
    Sampler a(5000, params), b(5000, params);
    Sampler other_seed(5000, [&] { SamplerParams p = params; p.seed = 43; return p; }());
    int differences = 0;
    for (int i = 0; i < 300; ++i) {
      const int32_t token = a.sample(logits);
      ASSERT_EQ(token, b.sample(logits));
      differences += token != other_seed.sample(logits);
    }
    EXPECT_GT(differences, 10) << "the seed must matter";
  }
}

// The draws of a fixed seed on fixed logits, recorded on x86-64: the random stream, the
// polynomial exp and the summation order are specified bit for bit, so every platform (the ARM
// builds run this test under qemu) must produce exactly these tokens.
TEST(Sampler, SeededDrawsArePlatformIndependent) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) {
    logits[i] = static_cast<float>(std::sin(static_cast<double>(i) * 0.37) * 4.0);
  }
  const SamplerParams settings[] = {
      {.temperature = 1.0, .seed = 7},
      {.temperature = 0.6, .top_k = 20, .top_p = 0.95, .seed = 7},
      {.temperature = 1.2, .top_p = 0.9, .seed = 7, .min_p = 0.02},
  };
  std::vector<std::vector<int32_t>> draws;
  for (const SamplerParams& params : settings) {
    Sampler sampler(1000, params);
    std::vector<int32_t> tokens;
    for (int i = 0; i < 8; ++i) tokens.push_back(sampler.sample(logits));
    draws.push_back(tokens);
  }
  const std::vector<std::vector<int32_t>> expected = {
      {751, 952, 108, 888, 140, 54, 835, 903},
      {106, 72, 208, 89, 208, 242, 361, 378},
      {752, 953, 121, 888, 140, 55, 835, 903}};
  EXPECT_EQ(draws, expected);
}

TEST(Sampler, LowTemperatureApproachesGreedy) {
  const std::vector<float> logits = {1.0f, 1.5f, 0.2f};
  Sampler sampler(3, SamplerParams{.temperature = 0.01, .top_k = 0, .top_p = 1.0, .seed = 9});
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(sampler.sample(logits), 1);
}

TEST(Sampler, LogitBiasBansAndFavours) {
  const std::vector<float> logits = {5.0f, 4.0f, 1.0f, 0.0f};
  // -100 bans even the most likely token; greedy then takes the next one.
  Sampler greedy(4, SamplerParams{.logit_bias = {{.token = 0, .bias = -100.0f}}});
  EXPECT_EQ(greedy.sample(logits), 1);
  // A ban holds against a lead of more than 100.
  Sampler sampled(4, SamplerParams{.temperature = 1.0, .seed = 5,
                                   .logit_bias = {{.token = 0, .bias = -100.0f},
                                                  {.token = 3, .bias = 100.0f}}});
  for (int i = 0; i < 2000; ++i) ASSERT_NE(sampled.sample(std::vector<float>{500.0f, 0.0f, 0.0f, 0.0f}), 0);
  // +4.5 lifts token 2 from 1.0 to 5.5, above token 0's 5.0.
  Sampler favour(4, SamplerParams{.logit_bias = {{.token = 2, .bias = 4.5f}}});
  EXPECT_EQ(favour.sample(logits), 2);
}

TEST(Sampler, RepetitionPenaltySeesThePromptPresenceOnlyGeneratedTokens) {
  const std::vector<float> logits = {3.0f, 2.9f, 2.0f};
  // Token 0 is in the prompt: 3.0 / 1.1 = 2.73 < 2.9, so greedy moves to token 1.
  Sampler repetition(3, SamplerParams{.repetition_penalty = 1.1});
  ASSERT_TRUE(repetition.set_prompt(std::vector<int32_t>{0, 2}).ok());
  EXPECT_EQ(repetition.sample(logits), 1);
  // Presence penalty ignores the prompt: token 0 still wins the first step ...
  Sampler presence(3, SamplerParams{.presence_penalty = 0.5});
  ASSERT_TRUE(presence.set_prompt(std::vector<int32_t>{0}).ok());
  EXPECT_EQ(presence.sample(logits), 0);
  // ... and once generated, 3.0 - 0.5 = 2.5 < 2.9.
  EXPECT_EQ(presence.sample(logits), 1);
  // Frequency: after token 1 too, 0 has 2.5 vs 1's 2.4 and both once: 0 wins; accept() counts.
  EXPECT_EQ(presence.sample(logits), 0);
  presence.accept(1);
  EXPECT_FALSE(presence.set_prompt(std::vector<int32_t>{3}).ok());
  // set_prompt starts over: no generated tokens remain.
  ASSERT_TRUE(presence.set_prompt(std::vector<int32_t>{}).ok());
  EXPECT_EQ(presence.sample(logits), 0);
}

TEST(Sampler, RejectsBadParameters) {
  EXPECT_FALSE(validate_sampler_params({.temperature = -1.0}).ok());
  EXPECT_FALSE(validate_sampler_params({.temperature = NAN}).ok());
  EXPECT_FALSE(validate_sampler_params({.temperature = INFINITY}).ok());
  EXPECT_FALSE(validate_sampler_params({.top_k = -2}).ok());
  EXPECT_FALSE(validate_sampler_params({.top_p = 0.0}).ok());
  EXPECT_FALSE(validate_sampler_params({.top_p = 1.5}).ok());
  EXPECT_FALSE(validate_sampler_params({.min_p = -0.1}).ok());
  EXPECT_FALSE(validate_sampler_params({.min_p = 1.1}).ok());
  EXPECT_FALSE(validate_sampler_params({.repetition_penalty = 0.0}).ok());
  EXPECT_FALSE(validate_sampler_params({.presence_penalty = 2.5}).ok());
  EXPECT_FALSE(validate_sampler_params({.frequency_penalty = -2.01}).ok());
  EXPECT_FALSE(validate_sampler_params({.logit_bias = {{.token = 1, .bias = 101.0f}}}).ok());
  EXPECT_FALSE(validate_sampler_params({.logit_bias = {{.token = 1, .bias = NAN}}}).ok());
  EXPECT_FALSE(
      validate_sampler_params({.logit_bias = {{.token = 1, .bias = 1.0f}, {.token = 1, .bias = 2.0f}}})
          .ok());
  EXPECT_FALSE(validate_sampler_params({.logit_bias = {{.token = 10, .bias = 1.0f}}}, 10).ok());
  EXPECT_FALSE(validate_sampler_params({.logit_bias = {{.token = -1, .bias = 1.0f}}}, 10).ok());
  EXPECT_FALSE(validate_sampler_params(
                   {.logit_bias = {{.token = 0, .bias = -100.0f}, {.token = 1, .bias = -100.0f}}}, 2)
                   .ok());
  const Status error = validate_sampler_params({.top_p = 1.5});
  EXPECT_NE(error.error().message.find("top_p"), std::string::npos);
  EXPECT_TRUE(validate_sampler_params({.temperature = 0.7, .top_k = 20, .top_p = 0.8}, 151936).ok());
  EXPECT_FALSE(Sampler::create(10, {.logit_bias = {{.token = 10, .bias = 1.0f}}}).ok());
  EXPECT_TRUE(Sampler::create(10, {.temperature = 0.6, .top_k = 20, .top_p = 0.95}).ok());
}

}  // namespace
}  // namespace qinfer

namespace qinfer {
namespace {

// A grammar mask: only the allowed ids can come out, for greedy and for every filter, and the
// filters see the allowed tokens only (top_k 1 picks the best allowed one).
TEST(SamplerMask, OnlyAllowedTokensAreChosen) {
  const int64_t vocab = 300;
  std::vector<float> logits(static_cast<size_t>(vocab));
  for (int64_t i = 0; i < vocab; ++i) logits[static_cast<size_t>(i)] = static_cast<float>(i % 97);
  std::vector<uint64_t> allowed((vocab + 63) / 64, 0);
  for (const int64_t id : {3, 64, 130, 299}) allowed[id / 64] |= uint64_t{1} << (id % 64);
  SamplerParams greedy;
  Sampler g(vocab, greedy);
  EXPECT_EQ(g.sample(logits, allowed), 64);  // logit 64 % 97 = 64 beats 3, 33 and 7
  SamplerParams top1;
  top1.temperature = 1.0;
  top1.top_k = 1;
  Sampler t(vocab, top1);
  EXPECT_EQ(t.sample(logits, allowed), 64);
  for (const double top_p : {1.0, 0.5}) {
    SamplerParams params;
    params.temperature = 5.0;
    params.top_p = top_p;
    params.min_p = 0.0;
    params.seed = 9;
    Sampler s(vocab, params);
    for (int i = 0; i < 200; ++i) {
      const int32_t id = s.sample(logits, allowed);
      EXPECT_TRUE((allowed[static_cast<size_t>(id) / 64] >> (id % 64)) & 1) << id;
    }
  }
}

}  // namespace
}  // namespace qinfer
