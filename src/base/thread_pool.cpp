#include "base/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <climits>

#include "base/usable_cpus.h"

namespace qinfer {
namespace {

// Tells the core this is a spin-wait: on x86 `pause` stops the loop from flooding the pipeline
// with speculative loads (and a memory-order mis-speculation flush when the value changes); on
// ARM `yield` hands the pipeline to an SMT sibling.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

using SpinClock = std::chrono::steady_clock;

// Polls `done()` with cpu_relax() until it holds or `budget` has passed; true if it held. The
// clock is read every 64 polls only: a vDSO clock read costs ~20 ns, a poll ~ one pause.
// No sched_yield here: on a loaded machine a yield hands the core to another process for a whole
// time slice (milliseconds) just before the event arrives, while a thread blocked in a futex is
// woken with the scheduler's wake-up preference.
template <class Done>
bool spin_until(Done done, std::chrono::microseconds budget) {
  if (done()) return true;
  if (budget.count() <= 0) return false;
  const SpinClock::time_point deadline = SpinClock::now() + budget;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      cpu_relax();
      if (done()) return true;
    }
    if (SpinClock::now() >= deadline) return done();
  }
}

// Block until *word != old (or a spurious wake-up; callers re-check), and wake the blocked
// threads. On Linux a raw futex: libstdc++ 12's std::atomic::wait first calls sched_yield four
// times, and with other processes running each yield can cost a time slice (measured: 0.6B
// decode 2x slower at load average 6 on 2 cores). Elsewhere std::atomic::wait/notify.
template <class T>
void block_while_equal(std::atomic<T>& word, T old) {
  static_assert(sizeof(std::atomic<T>) == 4 && std::atomic<T>::is_always_lock_free);
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<T*>(&word), FUTEX_WAIT_PRIVATE, old, nullptr, nullptr, 0);
#else
  word.wait(old, std::memory_order_seq_cst);
#endif
}

template <class T>
void wake_all(std::atomic<T>& word) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<T*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
  word.notify_all();
#endif
}

// Times the calling thread was preempted so far; -1 where the OS does not say.
long involuntary_context_switches() {
#if defined(__linux__)
  struct rusage usage;
  if (getrusage(RUSAGE_THREAD, &usage) == 0) return usage.ru_nivcsw;
#endif
  return -1;
}

}  // namespace

std::chrono::microseconds ThreadPool::SpinGovernor::budget(std::chrono::microseconds configured) {
  if (--waits_until_check_ <= 0) {
    waits_until_check_ = kCheckEvery;
    const long now = involuntary_context_switches();
    // One preemption per period is noise (a kernel thread); more means the cores are contended.
    if (now >= 0 && involuntary_switches_ >= 0) spinning_ = now - involuntary_switches_ <= 1;
    involuntary_switches_ = now;
  }
  return spinning_ ? configured : std::chrono::microseconds(0);
}

ThreadPool::ThreadPool(int n_threads, std::chrono::microseconds spin) : spin_(spin) {
  const int hardware_threads = usable_cpus();
  if (n_threads <= 0) n_threads = hardware_threads;
  n_threads_ = n_threads;
  // With more threads than hardware threads, every job needs a thread that is waiting for a core
  // while the others spin on theirs: measured 10x slower dispatch than blocking at once.
  if (n_threads_ > hardware_threads) spin_ = std::chrono::microseconds(0);
  workers_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  // No job is in flight (run() returns only when all workers are done), so plain stores are
  // published by the generation bump like a job is.
  job_.stopping = true;
  job_.generation.fetch_add(1, std::memory_order_seq_cst);
  wake_all(job_.generation);
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::dispatch(JobFn fn, void* ctx) {
  if (n_threads_ == 1) {
    fn(ctx, 0, 1);
    return;
  }
  job_.fn = fn;
  job_.ctx = ctx;
  done_.pending.store(n_threads_ - 1, std::memory_order_relaxed);
  // seq_cst pairs with the sleepers' increment (a Dekker handshake): either this load sees a
  // worker that is going to sleep, or that worker's own check sees the new generation. So the
  // futex wake is only paid when someone actually sleeps.
  job_.generation.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.count.load(std::memory_order_seq_cst) > 0) wake_all(job_.generation);
  fn(ctx, 0, n_threads_);
  wait_for_workers();
}

void ThreadPool::wait_for_workers() {
  auto all_done = [this] { return done_.pending.load(std::memory_order_acquire) == 0; };
  if (spin_until(all_done, caller_governor_.budget(spin_))) return;
  // Same handshake as for the workers: announce, then re-check before blocking; the worker that
  // brings `pending` to zero reads the flag after its decrement and wakes us.
  done_.caller_sleeping.store(true, std::memory_order_seq_cst);
  for (int pending; (pending = done_.pending.load(std::memory_order_seq_cst)) != 0;) {
    block_while_equal(done_.pending, pending);
  }
  done_.caller_sleeping.store(false, std::memory_order_relaxed);
}

uint32_t ThreadPool::wait_for_new_generation(uint32_t seen, SpinGovernor& governor) {
  uint32_t current = seen;
  auto changed = [&] {
    current = job_.generation.load(std::memory_order_acquire);
    return current != seen;
  };
  if (spin_until(changed, governor.budget(spin_))) return current;
  sleepers_.count.fetch_add(1, std::memory_order_seq_cst);
  while ((current = job_.generation.load(std::memory_order_seq_cst)) == seen) {
    block_while_equal(job_.generation, seen);
  }
  sleepers_.count.fetch_sub(1, std::memory_order_relaxed);
  return current;
}

void ThreadPool::worker_loop(int index) {
  // A worker observes every generation: the caller does not bump it again before this worker
  // has decremented `pending`, so a 32-bit counter that wraps around is never ambiguous.
  uint32_t seen = 0;
  SpinGovernor governor;
  for (;;) {
    seen = wait_for_new_generation(seen, governor);
    if (job_.stopping) return;
    job_.fn(job_.ctx, index, n_threads_);
    if (done_.pending.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        done_.caller_sleeping.load(std::memory_order_seq_cst)) {
      wake_all(done_.pending);  // only the caller ever waits on it
    }
  }
}

}  // namespace qinfer
