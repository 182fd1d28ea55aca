#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace qinfer::metrics {
namespace {

// Seconds since the epoch at boot, from /proc/stat's btime; 0 if unknown.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  }
  return 0.0;
}

double count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0.0;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor opendir itself holds
}

}  // namespace

bool sample_process(ProcessSample& sample) {
  std::ifstream in("/proc/self/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 2));
  // Fields from 3 (state) on; we need 14 utime, 15 stime, 20 num_threads, 22 starttime,
  // 23 vsize, 24 rss (pages).
  std::string field;
  double utime = 0, stime = 0, threads = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
  for (int index = 3; index <= 24 && fields >> field; ++index) {
    switch (index) {
      case 14: utime = std::strtod(field.c_str(), nullptr); break;
      case 15: stime = std::strtod(field.c_str(), nullptr); break;
      case 20: threads = std::strtod(field.c_str(), nullptr); break;
      case 22: start_ticks = std::strtod(field.c_str(), nullptr); break;
      case 23: vsize = std::strtod(field.c_str(), nullptr); break;
      case 24: rss_pages = std::strtod(field.c_str(), nullptr); break;
      default: break;
    }
  }
  if (!fields) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  sample.cpu_seconds = (utime + stime) / ticks;
  sample.threads = threads;
  static const double boot = boot_time_seconds();
  sample.start_time_seconds = boot + start_ticks / ticks;
  sample.virtual_bytes = vsize;
  sample.resident_bytes = rss_pages * page;
  sample.open_fds = count_open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) sample.max_fds = static_cast<double>(limit.rlim_cur);
  return true;
}

void register_process_metrics(Registry& registry) {
  Counter& cpu = registry.counter("process_cpu_seconds_total",
                                  "Total user and system CPU time spent in seconds.");
  Gauge& resident = registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  Gauge& virtual_memory =
      registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
  Gauge& start = registry.gauge("process_start_time_seconds",
                                "Start time of the process since unix epoch in seconds.");
  Gauge& open_fds = registry.gauge("process_open_fds", "Number of open file descriptors.");
  Gauge& max_fds = registry.gauge("process_max_fds", "Maximum number of open file descriptors.");
  Gauge& threads = registry.gauge("process_threads", "Number of OS threads in the process.");
  registry.on_collect([&] {
    ProcessSample sample;
    if (!sample_process(sample)) return;
    // A counter only goes up: add what the kernel counted since the last scrape.
    cpu.inc(sample.cpu_seconds - cpu.value());
    resident.set(sample.resident_bytes);
    virtual_memory.set(sample.virtual_bytes);
    start.set(sample.start_time_seconds);
    open_fds.set(sample.open_fds);
    max_fds.set(sample.max_fds);
    threads.set(sample.threads);
  });
}

}  // namespace qinfer::metrics
