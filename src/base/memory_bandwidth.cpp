#include "base/memory_bandwidth.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

namespace qinfer {
namespace {

using Clock = std::chrono::steady_clock;

// One test array, mapped and unmapped directly: freed, its pages leave the process at once,
// whatever the allocator does with large blocks (a sanitizer's quarantine keeps them), so a
// measurement between two stretches of work adds nothing to the peak RSS of what follows.
class MappedArray {
 public:
  explicit MappedArray(size_t count) : bytes_(count * sizeof(double)) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<double*>(p);
  }
  ~MappedArray() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;

  explicit operator bool() const { return data_ != nullptr; }
  double* get() const { return data_; }
  double& operator[](size_t i) const { return data_[i]; }

 private:
  size_t bytes_;
  double* data_ = nullptr;
};

// Per-thread result slots 128 bytes apart, so the threads' final stores do not share a line.
struct alignas(128) PaddedSum {
  uint64_t value = 0;
};

// Seconds one call of `body` takes on all threads, the shortest of `runs`.
template <class Body>
double best_seconds(ThreadPool& pool, int runs, Body body) {
  double best = std::numeric_limits<double>::infinity();
  for (int run = 0; run < runs; ++run) {
    const Clock::time_point start = Clock::now();
    pool.run(body);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

// Four independent accumulators: the adds of one never wait for the previous one, so the loop
// is limited by loads (and vectorizes), not by add latency.
uint64_t sum_words(const uint64_t* words, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += words[i];
    s1 += words[i + 1];
    s2 += words[i + 2];
    s3 += words[i + 3];
  }
  for (; i < n; ++i) s0 += words[i];
  return s0 + s1 + s2 + s3;
}

}  // namespace

Expected<MemoryBandwidth> measure_memory_bandwidth(ThreadPool& pool,
                                                   const MemoryBandwidthOptions& options) {
  if (options.array_bytes < (uint64_t{1} << 20)) {
    return make_error("memory bandwidth: arrays of {} bytes are too small (at least 1 MiB, and "
                      "several times the last-level cache for a meaningful number)",
                      options.array_bytes);
  }
  if (options.runs < 1) {
    return make_error("memory bandwidth: runs must be >= 1, got {}", options.runs);
  }
  const size_t n = static_cast<size_t>(options.array_bytes / sizeof(double));
  // Untouched on purpose: each thread first-touches its own slice below, so on a NUMA machine
  // its pages sit on its node, as STREAM's OpenMP initialization does.
  const MappedArray a(n), b(n), c(n);
  if (!a || !b || !c) {
    return make_error("memory bandwidth: cannot allocate 3 x {} bytes", options.array_bytes);
  }
  auto slice = [n](int thread, int threads, size_t* begin, size_t* end) {
    *begin = n * static_cast<size_t>(thread) / static_cast<size_t>(threads);
    *end = n * static_cast<size_t>(thread + 1) / static_cast<size_t>(threads);
  };
  pool.run([&](int thread, int threads) {
    size_t begin, end;
    slice(thread, threads, &begin, &end);
    for (size_t i = begin; i < end; ++i) {
      a[i] = 1.0;
      b[i] = 2.0;
      c[i] = 0.5;
    }
  });

  const double scalar = 3.0;
  const double triad_seconds = best_seconds(pool, options.runs, [&](int thread, int threads) {
    size_t begin, end;
    slice(thread, threads, &begin, &end);
    double* __restrict out = a.get();
    const double* __restrict x = b.get();
    const double* __restrict y = c.get();
    for (size_t i = begin; i < end; ++i) out[i] = x[i] + scalar * y[i];
  });

  std::vector<PaddedSum> sums(static_cast<size_t>(pool.size()));
  const double* arrays[] = {a.get(), b.get(), c.get()};
  const double read_seconds = best_seconds(pool, options.runs, [&](int thread, int threads) {
    size_t begin, end;
    slice(thread, threads, &begin, &end);
    uint64_t total = 0;
    for (const double* array : arrays) {
      // The doubles' bit patterns as words: an integer sum vectorizes without -ffast-math.
      total += sum_words(reinterpret_cast<const uint64_t*>(array) + begin, end - begin);
    }
    sums[static_cast<size_t>(thread)].value = total;
  });
  // Keeps the sums observable so the compiler cannot drop the read loop.
  volatile uint64_t sink = 0;
  for (const PaddedSum& sum : sums) sink = sink + sum.value;

  MemoryBandwidth result;
  result.threads = pool.size();
  result.array_bytes = options.array_bytes;
  result.runs = options.runs;
  const double bytes = 3.0 * static_cast<double>(n * sizeof(double));
  result.triad_gbps = bytes / triad_seconds / 1e9;
  result.read_gbps = bytes / read_seconds / 1e9;
  return result;
}

}  // namespace qinfer
