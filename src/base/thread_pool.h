// A persistent pool of worker threads for the per-token loop: no allocation and no task queue per
// call. `run` hands the same job to every thread (the caller is thread 0) and returns when all are
// done; work is split by index, so each thread always gets the same contiguous slice and results
// do not depend on scheduling.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace qinfer {

class ThreadPool {
 public:
  // n_threads counts the calling thread; 0 means one per hardware thread.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(thread_index, n_threads) once on every thread and waits for all of them.
  template <class F>
  void run(F&& fn) {
    auto trampoline = [](void* ctx, int index, int count) { (*static_cast<F*>(ctx))(index, count); };
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
  void dispatch(JobFn fn, void* ctx);
  void worker_loop(int index);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  JobFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  uint64_t generation_ = 0;   // guarded by mutex_; bumps once per job
  int pending_ = 0;           // workers still running the current job
  bool stopping_ = false;
};

}  // namespace qinfer
