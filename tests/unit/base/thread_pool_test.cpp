#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace qinfer {
namespace {

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (size_t n : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for(n, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPool, RunReachesEveryThreadManyTimes) {
  ThreadPool pool(3);
  std::atomic<int> calls{0};
  for (int round = 0; round < 2000; ++round) {
    pool.run([&](int index, int count) {
      EXPECT_EQ(count, 3);
      EXPECT_LT(index, 3);
      calls.fetch_add(1);
    });
  }
  EXPECT_EQ(calls.load(), 3 * 2000);
}

}  // namespace
}  // namespace qinfer
