// A persistent pool of worker threads for the per-token loop: no allocation, no task queue and no
// lock per call. `run` hands the same job to every thread (the caller is thread 0) and returns
// when all are done; work is split by index, so each thread always gets the same contiguous slice
// and results do not depend on scheduling.
//
// Why lock-free: one decoded token dispatches ~150-200 jobs (5 per layer + lm_head), each only
// tens of microseconds long once the kernels are fast. A mutex + condition-variable hand-off
// costs a futex wake per worker per job (measured 4-40 us per empty run() on 2 threads, vs
// ~0.1-0.3 us spinning); instead the caller publishes the job by bumping an atomic generation
// counter and spins on an atomic countdown, and idle workers spin on the generation (with the
// CPU's pause/yield hint) for a short budget before they block on it (a futex; std::atomic::wait
// off Linux). Between the jobs of one token nobody sleeps; between tokens (sampling, I/O) the
// workers go to sleep and cost nothing. Spinning is switched off per thread while that thread
// keeps being preempted (SpinGovernor below): on a machine shared with other work, blocking wins.
//
// One caller at a time: run() must not be called concurrently from two threads, nor from inside a
// job. Jobs must not throw (qinfer does not use exceptions; one escaping a worker terminates).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace qinfer {

class ThreadPool {
 public:
  // How long an idle worker (and the caller waiting for the workers) polls before it blocks.
  // Long enough to bridge the serial gaps between the jobs of one token (norms, RoPE, residual
  // adds: a few microseconds), short enough that a pool idle between requests sleeps at once.
  static constexpr std::chrono::microseconds kDefaultSpin{200};

  // n_threads counts the calling thread; 0 means one per usable CPU (base/usable_cpus.h: the
  // affinity mask and cgroup quota, not the host's count). spin = 0 makes every wait block at
  // once (tests use it to exercise the sleeping path); so does a pool with more threads than
  // the process has CPUs, where spinning steals the core a thread that is needed is waiting
  // for.
  explicit ThreadPool(int n_threads = 0, std::chrono::microseconds spin = kDefaultSpin);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(thread_index, n_threads) once on every thread and waits for all of them.
  template <class F>
  void run(F&& fn) {
    auto trampoline = [](void* ctx, int index, int count) {
      (*static_cast<std::remove_reference_t<F>*>(ctx))(index, count);
    };
    dispatch(trampoline, const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // Splits [0, n) into size() contiguous slices and calls fn(begin, end) for each non-empty one.
  template <class F>
  void parallel_for(size_t n, F&& fn) {
    if (n == 0) return;
    if (n_threads_ == 1 || n == 1) {
      fn(size_t{0}, n);
      return;
    }
    run([&](int index, int count) {
      size_t begin = n * static_cast<size_t>(index) / static_cast<size_t>(count);
      size_t end = n * static_cast<size_t>(index + 1) / static_cast<size_t>(count);
      if (begin < end) fn(begin, end);
    });
  }

 private:
  using JobFn = void (*)(void* ctx, int index, int count);

  // Per waiting thread: spin only while that thread is not being preempted. When other processes
  // keep the cores busy, a spinning thread is charged as a CPU hog and, once its partner is
  // descheduled, spins in vain, while a thread blocked in a futex is woken with the scheduler's
  // wake-up preference (measured on a 2-core machine at load average 6: pure blocking decoded as
  // fast as the mutex pool, a 200 us spin ~1.5x slower). The signal is the thread's own count of
  // involuntary context switches, read every kCheckEvery waits (one getrusage call).
  class SpinGovernor {
   public:
    std::chrono::microseconds budget(std::chrono::microseconds configured);

   private:
    static constexpr int kCheckEvery = 64;
    int waits_until_check_ = 0;
    long involuntary_switches_ = -1;  // at the last check; -1 before the first
    bool spinning_ = true;
  };

  void dispatch(JobFn fn, void* ctx);
  void worker_loop(int index);
  // Blocks the calling worker until generation_ differs from `seen`; returns the new value.
  uint32_t wait_for_new_generation(uint32_t seen, SpinGovernor& governor);
  // Blocks the caller until every worker has finished the current job.
  void wait_for_workers();

  // 128 bytes, not 64: Intel's adjacent-line prefetcher pulls cache lines in pairs, so two hot
  // atomics 64 bytes apart still ping-pong between cores.
  static constexpr size_t kFalseSharingRange = 128;

  // Written by the caller once per job, read by every worker: the job and its generation share
  // one line, so a worker that sees the new generation finds the job in the same transfer.
  struct alignas(kFalseSharingRange) JobSlot {
    std::atomic<uint32_t> generation{0};  // bumps once per job (and once at shutdown)
    JobFn fn = nullptr;                   // published by the release of `generation`
    void* ctx = nullptr;
    bool stopping = false;                // likewise; set by the destructor's last bump
  };
  // Written by each worker when it finishes a job, polled by the caller.
  struct alignas(kFalseSharingRange) Completion {
    std::atomic<int> pending{0};          // workers still running the current job
    std::atomic<bool> caller_sleeping{false};  // the last worker must notify `pending`
  };
  // Touched only on the slow path, when a worker gives up spinning.
  struct alignas(kFalseSharingRange) Sleepers {
    std::atomic<int> count{0};            // workers blocked (or about to block) on `generation`
  };

  JobSlot job_;
  Completion done_;
  Sleepers sleepers_;
  int n_threads_ = 1;
  std::chrono::microseconds spin_;
  SpinGovernor caller_governor_;  // the caller's; each worker keeps its own on its stack
  std::vector<std::thread> workers_;
};

}  // namespace qinfer
