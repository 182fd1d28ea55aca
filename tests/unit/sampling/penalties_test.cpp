#include "sampling/penalties.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sampling/logit_bias.h"

namespace qinfer {
namespace {

TEST(Penalties, ExactValuesOnASmallVocabulary) {
  TokenHistory history(6);
  ASSERT_TRUE(history.reset(std::vector<int32_t>{1, 1, 4}).ok());
  history.add_generated(2);
  history.add_generated(4);
  history.add_generated(2);
  std::vector<float> logits = {1.0f, 2.0f, -3.0f, 0.5f, -1.0f, 4.0f};
  apply_penalties({.repetition = 2.0, .presence = 0.25, .frequency = 0.5}, history, logits);
  EXPECT_FLOAT_EQ(logits[0], 1.0f);                       // unseen
  EXPECT_FLOAT_EQ(logits[1], 1.0f);                       // prompt only: 2 / 2
  EXPECT_FLOAT_EQ(logits[2], -3.0f * 2 - 0.25f - 2 * 0.5f);  // generated twice, negative
  EXPECT_FLOAT_EQ(logits[3], 0.5f);                       // unseen
  EXPECT_FLOAT_EQ(logits[4], -1.0f * 2 - 0.25f - 0.5f);   // prompt and generated once
  EXPECT_FLOAT_EQ(logits[5], 4.0f);                       // unseen
  EXPECT_EQ(history.generated_total(), 3);
  EXPECT_EQ(history.generated_count(2), 2);
  EXPECT_TRUE(history.in_prompt(4));
}

TEST(Penalties, ResetForgetsEverything) {
  TokenHistory history(4);
  ASSERT_TRUE(history.reset(std::vector<int32_t>{0, 1}).ok());
  history.add_generated(3);
  ASSERT_TRUE(history.reset(std::vector<int32_t>{2}).ok());
  EXPECT_FALSE(history.in_prompt(0));
  EXPECT_EQ(history.generated_count(3), 0);
  EXPECT_EQ(history.distinct_tokens().size(), 1u);
  std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f};
  apply_penalties({.repetition = 4.0}, history, logits);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 1.0f, 0.25f, 1.0f}));
  EXPECT_FALSE(history.reset(std::vector<int32_t>{4}).ok());
  EXPECT_FALSE(history.reset(std::vector<int32_t>{-1}).ok());
}

TEST(Penalties, NegativePenaltiesEncourage) {
  TokenHistory history(2);
  ASSERT_TRUE(history.reset({}).ok());
  history.add_generated(0);
  std::vector<float> logits = {1.0f, 1.0f};
  apply_penalties({.repetition = 0.5, .presence = -1.0, .frequency = -0.5}, history, logits);
  EXPECT_FLOAT_EQ(logits[0], 1.0f / 0.5f + 1.0f + 0.5f);
  EXPECT_FLOAT_EQ(logits[1], 1.0f);
  EXPECT_FALSE(validate_penalty_params({.repetition = -1.0}).ok());
  EXPECT_FALSE(validate_penalty_params({.repetition = INFINITY}).ok());
  EXPECT_TRUE(validate_penalty_params({.repetition = 1.3, .presence = 2.0, .frequency = -2.0}).ok());
}

TEST(LogitBias, AddsAndBans) {
  std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  const std::vector<LogitBias> biases = {{.token = 2, .bias = -100.0f}, {.token = 0, .bias = 2.5f},
                                         {.token = 1, .bias = -99.0f}};
  ASSERT_TRUE(validate_logit_bias(biases, 3).ok());
  apply_logit_bias(biases, logits);
  EXPECT_FLOAT_EQ(logits[0], 3.5f);
  EXPECT_FLOAT_EQ(logits[1], -97.0f);
  EXPECT_TRUE(std::isinf(logits[2]) && logits[2] < 0);
  EXPECT_FALSE(validate_logit_bias(std::vector<LogitBias>{{.token = 3, .bias = 1.0f}}, 3).ok());
}

}  // namespace
}  // namespace qinfer
