#include "sampling/generation_limits.h"

#include <gtest/gtest.h>

#include <vector>

namespace qinfer {
namespace {

TEST(GenerationLimits, BothQwen3EndOfSequenceIdsStop) {
  const std::vector<int64_t> eos = {151645, 151643, 151645};  // generation_config + config.json
  Expected<GenerationLimits> limits = GenerationLimits::create(eos, 3, 151936);
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits->eos_token_ids().size(), 2u);
  EXPECT_EQ(limits->check(151645, 1), FinishReason::kStop);
  EXPECT_EQ(limits->check(151643, 1), FinishReason::kStop);
  EXPECT_EQ(limits->check(100, 1), FinishReason::kNone);
  EXPECT_EQ(limits->check(100, 2), FinishReason::kNone);
  EXPECT_EQ(limits->check(100, 3), FinishReason::kLength);
  EXPECT_EQ(limits->check(151645, 3), FinishReason::kStop);  // EOS on the last step is a stop
  EXPECT_EQ(finish_reason_name(FinishReason::kStop), "stop");
  EXPECT_EQ(finish_reason_name(FinishReason::kLength), "length");
  EXPECT_EQ(finish_reason_name(FinishReason::kNone), "");
}

TEST(GenerationLimits, IgnoreEosAndValidation) {
  const std::vector<int64_t> eos = {151645};
  Expected<GenerationLimits> limits = GenerationLimits::create(eos, 2, 151936, true);
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits->check(151645, 1), FinishReason::kNone);
  EXPECT_EQ(limits->check(151645, 2), FinishReason::kLength);
  EXPECT_FALSE(GenerationLimits::create(eos, 0, 151936).ok());
  EXPECT_FALSE(GenerationLimits::create(eos, 5, 1000).ok());
  EXPECT_FALSE(GenerationLimits::create(std::vector<int64_t>{-1}, 5, 1000).ok());
}

}  // namespace
}  // namespace qinfer
