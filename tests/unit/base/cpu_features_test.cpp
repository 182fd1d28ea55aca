#include "base/cpu_features.h"

#include <gtest/gtest.h>

namespace qinfer {
namespace {

TEST(CpuFeatures, DetectsTheArchitecturesBaseline) {
  CpuFeatures host = detect_cpu_features();
#if defined(__aarch64__)
  EXPECT_TRUE(host.neon);  // every AArch64 Linux CPU has Advanced SIMD
  EXPECT_FALSE(host.avx2);
#elif defined(__x86_64__)
  EXPECT_FALSE(host.neon);
  if (host.avx512) { EXPECT_TRUE(host.avx2); }
  if (host.avx512_vnni) { EXPECT_TRUE(host.avx512); }
#endif
  if (host.i8mm || host.sve) { EXPECT_TRUE(host.neon); }
}

TEST(CpuFeatures, RestrictKeepsOnlyNamedFeatures) {
  CpuFeatures host = detect_cpu_features();
  auto none = restrict_cpu_features(host, "baseline");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->to_string(), "baseline");
  std::string all = host.to_string();
  auto same = restrict_cpu_features(host, all == "baseline" ? "" : all);
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(same->to_string(), all);
}

TEST(CpuFeatures, RestrictRejectsUnknownAndMissingFeatures) {
  CpuFeatures host = detect_cpu_features();
  auto typo = restrict_cpu_features(host, "avx3");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("unknown CPU feature 'avx3'"), std::string::npos);
  CpuFeatures bare;  // a CPU with nothing
  auto missing = restrict_cpu_features(bare, "neon");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("lacks"), std::string::npos);
}

}  // namespace
}  // namespace qinfer
