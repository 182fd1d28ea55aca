// What the process costs the machine, for benchmarks: peak resident memory.
#pragma once

#include <cstdint>

namespace qinfer {

// Peak resident set size of this process in bytes (Linux /proc/self/status VmHWM, else
// getrusage's ru_maxrss). Pages of memory-mapped weight files count once touched.
uint64_t peak_rss_bytes();

// Restarts the peak at the current RSS (Linux: "5" to /proc/self/clear_refs), so a benchmark of
// several models reports each one's own peak. False where the kernel does not support it; the
// peak then stays the process-wide maximum.
bool reset_peak_rss();

}  // namespace qinfer
