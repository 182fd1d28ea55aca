#include "base/expected.h"

#include <gtest/gtest.h>

namespace qinfer {
namespace {

Expected<int> parse_positive(int x) {
  if (x <= 0) return make_error("value {} is not positive", x);
  return x;
}

Expected<int> doubled(int x) {
  QINFER_ASSIGN_OR_RETURN(int v, parse_positive(x));
  return 2 * v;
}

TEST(Expected, CarriesValueOrError) {
  auto good = doubled(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "value -1 is not positive");
}

}  // namespace
}  // namespace qinfer
