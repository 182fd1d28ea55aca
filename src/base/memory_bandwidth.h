// Measured main-memory bandwidth, the ceiling of decode speed: one decoded token reads every
// weight once, so tokens/s <= bandwidth / weight bytes (DESIGN.md, performance model).
//
// Two kernels over buffers much larger than the last-level cache, split over the pool's threads
// (each thread touches its own contiguous slice, first-touched by that thread):
//   triad  a[i] = b[i] + s * c[i]  (STREAM's triad; counts 3 x 8 bytes per element, as STREAM
//          does: the write-allocate read of a[i] is not counted)
//   read   sum of 64-bit words, a read-only stream: what a decode step does to the weights
// Each is run `runs` times; the best (shortest) run counts, as STREAM reports.
#pragma once

#include <cstdint>

#include "base/expected.h"
#include "base/thread_pool.h"

namespace qinfer {

struct MemoryBandwidthOptions {
  uint64_t array_bytes = uint64_t{256} << 20;  // per array; 3 arrays (triad), all 3 read by `read`
  int runs = 10;
};

struct MemoryBandwidth {
  int threads = 0;
  uint64_t array_bytes = 0;
  int runs = 0;
  double triad_gbps = 0.0;   // 1e9 bytes/s
  double read_gbps = 0.0;
};

// Errors: array_bytes below 1 MiB or runs < 1; allocation failure.
Expected<MemoryBandwidth> measure_memory_bandwidth(ThreadPool& pool,
                                                   const MemoryBandwidthOptions& options);

}  // namespace qinfer
