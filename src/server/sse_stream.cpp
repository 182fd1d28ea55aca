#include "server/sse_stream.h"

#include <utility>

#include "server/http_message.h"

namespace qinfer::server {

bool SseStream::push(const api::Json& event) {
  if (cancelled()) return false;
  // Serialized on the producer's thread so the writer only copies bytes. dump() without indent
  // never emits a newline, so one event is one `data:` line.
  std::string frame = "data: " + dump_json(event) + "\n\n";
  {
    std::lock_guard lock(mutex_);
    if (finished_ || cancelled()) return false;
    pending_frames_ += frame;
  }
  frames_ready_.notify_one();
  return true;
}

void SseStream::finish(bool send_done_marker) {
  {
    std::lock_guard lock(mutex_);
    if (finished_ || cancelled()) return;
    if (send_done_marker) pending_frames_ += "data: [DONE]\n\n";
    finished_ = true;
  }
  frames_ready_.notify_one();
}

void SseStream::set_on_cancel(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (!cancelled()) {
      on_cancel_ = std::move(callback);
      return;
    }
  }
  if (callback) callback();
}

SseStream::State SseStream::take_frames(std::chrono::milliseconds timeout, std::string& frames) {
  std::unique_lock lock(mutex_);
  frames_ready_.wait_for(lock, timeout,
                         [&] { return !pending_frames_.empty() || finished_ || cancelled(); });
  if (cancelled()) return State::cancelled;
  frames += pending_frames_;
  pending_frames_.clear();
  if (finished_) {
    drained_ = true;
    return State::finished;
  }
  return State::open;
}

void SseStream::cancel() {
  std::function<void()> callback;
  {
    std::lock_guard lock(mutex_);
    if (drained_ || cancelled()) return;
    cancelled_.store(true, std::memory_order_release);
    pending_frames_.clear();
    callback = std::move(on_cancel_);
    on_cancel_ = nullptr;
  }
  frames_ready_.notify_all();
  if (callback) callback();
}

}  // namespace qinfer::server
