// How many CPUs this process may actually use, for the default thread count: a container or a
// systemd unit limits it below what std::thread::hardware_concurrency() reports (the host's
// CPUs), and a thread pool sized for the host would run more compute threads than cores.
#pragma once

#include <optional>
#include <string_view>

namespace qinfer {

// min(CPUs in this thread's affinity mask (taskset, cpusets, Kubernetes' static CPU manager),
// the cgroup v2 CPU quota rounded up (cpu.max, what Kubernetes' CPU limits and systemd's
// CPUQuota= set)), at least 1. Falls back to hardware_concurrency where Linux does not say.
int usable_cpus();

// cgroup v2 cpu.max contents ("max 100000", "250000 100000") -> the quota in whole CPUs,
// rounded up; nullopt when unlimited or unreadable.
std::optional<int> cpu_quota_cpus(std::string_view cpu_max);

}  // namespace qinfer
