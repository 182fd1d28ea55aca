// Dispatch latency of ThreadPool::run: the cost the per-token loop pays ~150-200 times per token.
// Not built by CMake; build and run by hand against the pool's source (it has no dependencies):
//   c++ -O2 -std=c++20 -pthread -Isrc bench/thread_pool_bench.cpp src/base/thread_pool.cpp
//       -o /tmp/thread_pool_bench && /tmp/thread_pool_bench [threads...]
// To compare with another version of the pool, compile the same file against that version's
// thread_pool.{h,cpp} (put them in DIR/base/ and use -IDIR instead of -Isrc).
//
// Three patterns, each reported as the median and 99th percentile of per-call wall time over
// many calls (after a warm-up):
//   empty       run() of a job that does nothing: the pure hand-off and completion cost
//   small job   every thread sums its 16 KiB slice of an L1/L2-resident buffer (~1 us of work),
//               the size of a decode-step matmul slice of a tiny model
//   token loop  141 back-to-back jobs (0.6B decode: 28 layers x 5 + lm_head) with a short serial
//               gap between them, as the forward pass does; reported per job
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "base/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  double median_ns;
  double p99_ns;
};

Percentiles percentiles(std::vector<double>& samples) {
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 99 / 100]};
}

template <class Body>
Percentiles time_calls(int calls, int per_call_ops, Body body) {
  for (int i = 0; i < calls / 10; ++i) body();  // warm-up: threads spinning, caches hot
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    const Clock::time_point start = Clock::now();
    body();
    samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
                      per_call_ops);
  }
  return percentiles(samples);
}

volatile float g_sink;  // keeps the jobs' sums alive

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (int i = 1; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {2};

  std::printf("| threads | empty run (p50 / p99 ns) | small job (p50 / p99 ns) | "
              "token loop, per job (p50 / p99 ns) |\n|---|---|---|---|\n");
  for (int threads : thread_counts) {
    if (threads < 1) {
      std::fprintf(stderr, "thread count must be >= 1, got %d\n", threads);
      return 1;
    }
    qinfer::ThreadPool pool(threads);
    const size_t floats_per_thread = 4096;
    std::vector<float> buffer(floats_per_thread * static_cast<size_t>(threads), 1.0f);
    std::vector<float> partial(static_cast<size_t>(threads) * 32, 0.0f);  // 128 B apart

    const Percentiles empty = time_calls(200000, 1, [&] { pool.run([](int, int) {}); });

    auto small_job = [&] {
      pool.run([&](int index, int) {
        const float* slice = buffer.data() + static_cast<size_t>(index) * floats_per_thread;
        partial[static_cast<size_t>(index) * 32] =
            std::accumulate(slice, slice + floats_per_thread, 0.0f);
      });
    };
    const Percentiles small = time_calls(100000, 1, small_job);

    const int jobs_per_token = 141;
    const Percentiles token = time_calls(2000, jobs_per_token, [&] {
      for (int job = 0; job < jobs_per_token; ++job) {
        small_job();
        float gap = 0.0f;  // the serial work between jobs: an rmsnorm-sized pass on one thread
        for (size_t i = 0; i < 1024; ++i) gap += buffer[i] * buffer[i];
        g_sink = gap;
      }
    });
    std::printf("| %d | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f |\n", threads, empty.median_ns,
                empty.p99_ns, small.median_ns, small.p99_ns, token.median_ns, token.p99_ns);
  }
  return 0;
}
