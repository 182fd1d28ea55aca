#include "base/usable_cpus.h"

#include <gtest/gtest.h>

#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace qinfer {
namespace {

TEST(UsableCpus, CgroupQuotaRoundsUpToWholeCpus) {
  EXPECT_EQ(cpu_quota_cpus("max 100000\n"), std::nullopt);
  EXPECT_EQ(cpu_quota_cpus("200000 100000\n"), 2);
  EXPECT_EQ(cpu_quota_cpus("250000 100000"), 3);
  EXPECT_EQ(cpu_quota_cpus("50000 100000\n"), 1);
  EXPECT_EQ(cpu_quota_cpus("1 100000"), 1);
  EXPECT_EQ(cpu_quota_cpus(""), std::nullopt);
  EXPECT_EQ(cpu_quota_cpus("garbage"), std::nullopt);
  EXPECT_EQ(cpu_quota_cpus("-5 100000"), std::nullopt);
  EXPECT_EQ(cpu_quota_cpus("100000 0"), std::nullopt);
  EXPECT_EQ(cpu_quota_cpus("12x 100000"), std::nullopt);
}

TEST(UsableCpus, NeverMoreThanTheAffinityMaskAllows) {
  const int cpus = usable_cpus();
  EXPECT_GE(cpus, 1);
  EXPECT_LE(cpus, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
#if defined(__linux__)
  cpu_set_t original;
  ASSERT_EQ(sched_getaffinity(0, sizeof(original), &original), 0);
  int first = -1;
  for (int i = 0; i < CPU_SETSIZE && first < 0; ++i) {
    if (CPU_ISSET(i, &original)) first = i;
  }
  ASSERT_GE(first, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  EXPECT_EQ(usable_cpus(), 1);  // as under `taskset -c 0` or a one-CPU cpuset
  ASSERT_EQ(sched_setaffinity(0, sizeof(original), &original), 0);
#endif
}

}  // namespace
}  // namespace qinfer
