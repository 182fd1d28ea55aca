// The standard process metrics of Prometheus's client libraries, under their usual names
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), so that stock dashboards and
// alerts work, read from /proc/self when scraped. Linux only: elsewhere they stay 0.
#pragma once

#include "metrics/registry.h"

namespace qinfer::metrics {

// Registers the process_* metrics and the hook that refreshes them on each render().
void register_process_metrics(Registry& registry);

struct ProcessSample {
  double cpu_seconds = 0.0;          // user + system
  double resident_bytes = 0.0;
  double virtual_bytes = 0.0;
  double start_time_seconds = 0.0;   // since the Unix epoch
  double threads = 0.0;
  double open_fds = 0.0;
  double max_fds = 0.0;
};
// False when /proc/self/stat cannot be read or parsed.
bool sample_process(ProcessSample& sample);

}  // namespace qinfer::metrics
