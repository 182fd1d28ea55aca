// A server-sent-events response fed from another thread (the engine's), written by an HTTP
// worker thread.
//
//   producer (engine)                      consumer (HttpServer's writer, one HTTP thread)
//   push(json) ... push(json) finish() -->  take_frames(): "data: <json>\n\n"... "data: [DONE]\n\n"
//   polls cancelled() / on_cancel      <--  cancel() when the client is gone or the server stops
//
// push() never blocks: it appends one SSE frame to a buffer and wakes the writer, which sends
// everything buffered in one write. After cancel() (or finish()) pushes are dropped and return
// false, so a producer that misses the flag for a step loses nothing but wasted work. The buffer
// is unbounded; it holds at most what the producer makes while one write is blocked on a slow
// client (write timeout), i.e. a bounded number of tokens.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "api/request_fields.h"

namespace qinfer::server {

class SseStream {
 public:
  SseStream() = default;
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // --- producer side (any thread) ---

  // Queues `data: <event>\n\n`. False (and dropped) once the stream is cancelled or finished.
  bool push(const api::Json& event);
  // Ends the stream after the queued events; with `send_done_marker`, OpenAI's terminator
  // `data: [DONE]\n\n` goes last. An error mid-stream is sent the OpenAI way: push
  // {"error": {...}} and finish. Later calls do nothing.
  void finish(bool send_done_marker = true);

  // True once the client is gone (a failed write, a closed socket) or the server is stopping.
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // The same flag, for loops that poll a `const std::atomic<bool>*` (engine::TextSession).
  const std::atomic<bool>& cancelled_flag() const { return cancelled_; }
  // Runs `callback` once when the stream is cancelled, on the cancelling (HTTP) thread; at once,
  // on this thread, if it already is. Keep it short and non-blocking (e.g. notify the scheduler).
  void set_on_cancel(std::function<void()> callback);

  // --- consumer side (HttpServer's writer) ---

  enum class State { open, finished, cancelled };
  // Moves every queued frame into `frames` (appending), waiting up to `timeout` for one to
  // arrive. `finished` means the frames taken end the stream; nothing more will come.
  State take_frames(std::chrono::milliseconds timeout, std::string& frames);
  // Marks the stream cancelled, wakes a waiting writer, runs the on-cancel callback once.
  // Does nothing after finish() has handed over the last frames.
  void cancel();

 private:
  mutable std::mutex mutex_;
  std::condition_variable frames_ready_;
  std::string pending_frames_;  // guarded by mutex_
  bool finished_ = false;       // guarded by mutex_: finish() called
  bool drained_ = false;        // guarded by mutex_: the writer took the last frames
  std::atomic<bool> cancelled_{false};
  std::function<void()> on_cancel_;  // guarded by mutex_; moved out when it runs
};

}  // namespace qinfer::server
