#include "base/usable_cpus.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace qinfer {
namespace {

// The cgroup v2 directory of this process ("0::/system.slice/qinfer.service" in
// /proc/self/cgroup), where its cpu.max lives; in a container the namespace root is "/".
std::string own_cpu_max_path() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroup, line)) {
    if (line.rfind("0::", 0) == 0) {
      std::string dir = line.substr(3);
      if (dir.empty() || dir.back() != '/') dir += '/';
      return "/sys/fs/cgroup" + dir + "cpu.max";
    }
  }
  return "";
}

}  // namespace

std::optional<int> cpu_quota_cpus(std::string_view cpu_max) {
  const size_t space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota_text = cpu_max.substr(0, space);
  std::string_view period_text = cpu_max.substr(space + 1);
  while (!period_text.empty() && (period_text.back() == '\n' || period_text.back() == ' ')) {
    period_text.remove_suffix(1);
  }
  long long quota = 0, period = 0;
  const auto q = std::from_chars(quota_text.data(), quota_text.data() + quota_text.size(), quota);
  const auto p = std::from_chars(period_text.data(), period_text.data() + period_text.size(),
                                 period);
  if (q.ec != std::errc() || q.ptr != quota_text.data() + quota_text.size() ||
      p.ec != std::errc() || p.ptr != period_text.data() + period_text.size() || quota <= 0 ||
      period <= 0) {
    return std::nullopt;  // "max" (no limit) or malformed
  }
  return static_cast<int>(std::max<long long>(1, (quota + period - 1) / period));
}

int usable_cpus() {
  int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = std::max(1, CPU_COUNT(&set));
  // The nearest limit on the way up the hierarchy is not looked for: a process in a container
  // sees its own cgroup as the root, and systemd units carry their quota on their own cgroup.
  if (const std::string path = own_cpu_max_path(); !path.empty()) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    if (const auto quota = cpu_quota_cpus(text.str())) cpus = std::min(cpus, *quota);
  }
#endif
  return cpus;
}

}  // namespace qinfer
