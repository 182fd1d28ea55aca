#include "base/memory_bandwidth.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/process_stats.h"

namespace qinfer {
namespace {

// Small arrays (cache-resident): only checks that both kernels run on every thread and report
// a plausible positive rate; the real measurement needs arrays >> LLC (`qinfer bench --memory`).
TEST(MemoryBandwidth, ReportsPositiveRatesOnSmallArrays) {
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    MemoryBandwidthOptions options;
    options.array_bytes = 2u << 20;
    options.runs = 2;
    auto bandwidth = measure_memory_bandwidth(pool, options);
    ASSERT_TRUE(bandwidth.ok()) << bandwidth.error().message;
    EXPECT_EQ(bandwidth->threads, threads);
    EXPECT_EQ(bandwidth->array_bytes, options.array_bytes);
    EXPECT_EQ(bandwidth->runs, 2);
    EXPECT_GT(bandwidth->read_gbps, 0.1);
    EXPECT_GT(bandwidth->triad_gbps, 0.1);
    EXPECT_LT(bandwidth->read_gbps, 1e5);
  }
}

TEST(MemoryBandwidth, RejectsBadOptions) {
  ThreadPool pool(1);
  MemoryBandwidthOptions tiny;
  tiny.array_bytes = 1000;
  auto result = measure_memory_bandwidth(pool, tiny);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("too small"), std::string::npos);
  MemoryBandwidthOptions no_runs;
  no_runs.runs = 0;
  result = measure_memory_bandwidth(pool, no_runs);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("runs"), std::string::npos);
}

TEST(ProcessStats, PeakRssCoversATouchedBuffer) {
  const uint64_t before = peak_rss_bytes();
  EXPECT_GT(before, 0u);
  std::vector<char> buffer(64u << 20, 1);  // value-initialized: every page touched
  EXPECT_GE(peak_rss_bytes(), before);
  EXPECT_GE(peak_rss_bytes(), buffer.size());
}

}  // namespace
}  // namespace qinfer
