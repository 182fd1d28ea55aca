#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace qinfer {
namespace {

using std::chrono::microseconds;

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

// Each thread index runs exactly once per job and the caller is index 0; a job's writes are
// visible to the caller when run() returns, and the next job sees the previous job's results.
// Checked over many back-to-back jobs, the pattern of the per-token loop.
void check_back_to_back_jobs(ThreadPool& pool, int rounds) {
  const int n = pool.size();
  std::vector<int> slots(static_cast<size_t>(n), 0);  // plain ints: run() must order them
  const std::thread::id caller = std::this_thread::get_id();
  for (int round = 0; round < rounds; ++round) {
    bool caller_was_zero = false;
    pool.run([&](int index, int count) {
      ASSERT_EQ(count, n);
      EXPECT_EQ(slots[static_cast<size_t>(index)], round);  // previous job's write is visible
      slots[static_cast<size_t>(index)] = round + 1;
      if (index == 0) caller_was_zero = std::this_thread::get_id() == caller;
    });
    ASSERT_TRUE(caller_was_zero);
    for (int i = 0; i < n; ++i) ASSERT_EQ(slots[static_cast<size_t>(i)], round + 1) << i;
  }
}

TEST(ThreadPool, ManyBackToBackJobsWhileSpinning) {
  for (int threads : {2, 3, 4}) {
    ThreadPool pool(threads);
    check_back_to_back_jobs(pool, 5000);
  }
}

// spin = 0: every wait blocks in std::atomic::wait, so a lost wake-up would hang here.
TEST(ThreadPool, ManyBackToBackJobsWhenEveryWaitSleeps) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads, microseconds(0));
    check_back_to_back_jobs(pool, 5000);
  }
}

// Pauses longer than the spin budget between jobs, so workers fall asleep and must be woken,
// alternating with jobs that arrive while they still spin.
TEST(ThreadPool, WakesWorkersThatFellAsleep) {
  ThreadPool pool(3, microseconds(50));
  std::atomic<int> calls{0};
  for (int round = 0; round < 200; ++round) {
    if (round % 2 == 0) std::this_thread::sleep_for(microseconds(300));
    pool.run([&](int, int) { calls.fetch_add(1); });
  }
  EXPECT_EQ(calls.load(), 3 * 200);
}

// The caller finishes its slice first and must wait (spinning, then asleep) for a slow worker.
TEST(ThreadPool, CallerWaitsForASlowWorker) {
  for (microseconds spin : {microseconds(0), ThreadPool::kDefaultSpin}) {
    ThreadPool pool(2, spin);
    std::atomic<int> finished{0};
    pool.run([&](int index, int) {
      if (index == 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      finished.fetch_add(1);
    });
    EXPECT_EQ(finished.load(), 2);
  }
}

TEST(ThreadPool, OneThreadRunsOnTheCaller) {
  ThreadPool pool(1);
  EXPECT_EQ(pool.size(), 1);
  const std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  pool.run([&](int index, int count) {
    EXPECT_EQ(index, 0);
    EXPECT_EQ(count, 1);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++calls;
  });
  pool.parallel_for(10, [&](size_t begin, size_t end) {
    EXPECT_EQ(begin, 0u);
    EXPECT_EQ(end, 10u);
    ++calls;
  });
  EXPECT_EQ(calls, 2);
}

TEST(ThreadPool, ZeroThreadsMeansOnePerHardwareThread) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

// Destroying a pool must stop workers whether they spin, sleep, or never got a job.
TEST(ThreadPool, DestructionWhileIdle) {
  for (int threads : {1, 2, 4}) {
    { ThreadPool never_used(threads); }
    {
      ThreadPool just_used(threads);
      just_used.run([](int, int) {});
    }
    {
      ThreadPool asleep(threads, microseconds(10));
      asleep.run([](int, int) {});
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    { ThreadPool never_spins(threads, microseconds(0)); }
  }
}

// run() accepts a named (lvalue) callable as well as a temporary.
TEST(ThreadPool, RunAcceptsLvalueCallable) {
  ThreadPool pool(2);
  std::atomic<int> calls{0};
  auto job = [&](int, int) { calls.fetch_add(1); };
  pool.run(job);
  const auto& const_job = job;
  pool.run(const_job);
  EXPECT_EQ(calls.load(), 4);
}

}  // namespace
}  // namespace qinfer
