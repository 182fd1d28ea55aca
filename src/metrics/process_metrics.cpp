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

double status_threads() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::strtod(line.c_str() + 8, nullptr);
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
  // CPU time, memory and threads come from getrusage, /proc/self/statm and /proc/self/status
  // rather than /proc/self/stat, which qemu-user (the aarch64 tests) fakes with zeros there.
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return false;
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  sample.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  {
    std::ifstream statm("/proc/self/statm");
    double size_pages = 0, resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) return false;
    sample.virtual_bytes = size_pages * page;
    sample.resident_bytes = resident_pages * page;
  }
  std::ifstream in("/proc/self/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return false;
  std::istringstream fields(stat.substr(close + 2));
  // Fields from 3 (state) on; we need 22, starttime (clock ticks after boot).
  std::string field;
  double start_ticks = 0;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    if (index == 22) start_ticks = std::strtod(field.c_str(), nullptr);
  }
  if (!fields) return false;
  sample.threads = status_threads();
  static const double boot = boot_time_seconds();
  sample.start_time_seconds = boot + start_ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  sample.open_fds = count_open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) sample.max_fds = static_cast<double>(limit.rlim_cur);
  return true;
}

void register_process_metrics(Registry& registry) {
  Counter& cpu = registry.counter("process_cpu_seconds_total",
                                  "Total user and system CPU time spent in seconds.");
  Gauge& resident =
      registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
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
