#include "server/response_writer.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "server/client_connection.h"

namespace qinfer::server {

namespace {

constexpr std::string_view kKeepAliveComment = ": keep-alive\n\n";

void apply_headers(httplib::Response& response, const ExtraHeaders& headers) {
  // httplib drops a field whose name or value contains CR or LF (header injection).
  for (const auto& [name, value] : headers) response.set_header(name, value);
}

// One call of httplib's chunked content provider per wait: take what the producer queued (up
// to kClientCheckInterval, server/client_connection.h), write it, and return so httplib checks
// the client and whether the server stops. That wait is also the bound on noticing a disconnect
// while the producer is silent (a long prefill) and on stop() waiting for a stream.
class SseWriter {
 public:
  SseWriter(std::shared_ptr<SseStream> stream, std::chrono::milliseconds keep_alive_interval)
      : stream_(std::move(stream)),
        keep_alive_interval_(keep_alive_interval),
        last_write_(std::chrono::steady_clock::now()) {}

  bool operator()(httplib::DataSink& sink) {
    using std::chrono::milliseconds;
    milliseconds wait = kClientCheckInterval;
    if (keep_alive_interval_ > milliseconds(0)) {
      const auto until_keep_alive = std::chrono::duration_cast<milliseconds>(
          last_write_ + keep_alive_interval_ - std::chrono::steady_clock::now());
      wait = std::clamp(until_keep_alive, milliseconds(0), kClientCheckInterval);
    }

    std::string frames;
    const SseStream::State state = stream_->take_frames(wait, frames);
    if (state == SseStream::State::cancelled) return false;
    if (!frames.empty() && !write(sink, frames)) return false;
    if (state == SseStream::State::finished) {
      sink.done();  // the terminating chunk
      return true;
    }
    if (frames.empty()) {
      if (keep_alive_due()) return write(sink, kKeepAliveComment);
      // A write would fail too, but nothing is to be written: is_writable() peeks at the socket
      // and sees the client's FIN.
      if (!sink.is_writable()) {
        stream_->cancel();
        return false;
      }
    }
    return true;
  }

 private:
  bool keep_alive_due() const {
    return keep_alive_interval_ > std::chrono::milliseconds(0) &&
           std::chrono::steady_clock::now() - last_write_ >= keep_alive_interval_;
  }

  bool write(httplib::DataSink& sink, std::string_view bytes) {
    if (!sink.write(bytes.data(), bytes.size())) {
      stream_->cancel();
      return false;
    }
    last_write_ = std::chrono::steady_clock::now();
    return true;
  }

  std::shared_ptr<SseStream> stream_;
  std::chrono::milliseconds keep_alive_interval_;
  std::chrono::steady_clock::time_point last_write_;
};

}  // namespace

void write_body(httplib::Response& response, int status, const std::string& content_type,
                std::string body, const ExtraHeaders& headers, bool close_connection) {
  response.status = status;
  apply_headers(response, headers);
  if (close_connection) response.set_header("Connection", "close");
  if (!close_connection || body.empty()) {
    response.set_content(std::move(body), content_type);
    return;
  }
  // httplib 0.11 keeps a connection open unless the *request* asked to close it; the one way a
  // handler can end it is a content provider that reports failure after writing the whole
  // body, which makes httplib close the socket once the response is out.
  auto shared_body = std::make_shared<std::string>(std::move(body));
  response.set_content_provider(
      shared_body->size(), content_type,
      [shared_body](size_t offset, size_t length, httplib::DataSink& sink) {
        sink.write(shared_body->data() + offset, length);
        return false;
      });
}

void write_json(httplib::Response& response, const JsonResponse& json, bool close_connection) {
  write_body(response, json.status, "application/json", dump_json(json.body), json.headers,
             close_connection);
}

void write_sse(httplib::Response& response, std::shared_ptr<SseStream> stream,
               std::chrono::milliseconds keep_alive_interval, std::shared_ptr<void> in_flight) {
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  // nginx buffers proxied responses unless told not to; a buffered stream arrives all at once.
  response.set_header("X-Accel-Buffering", "no");
  auto writer = std::make_shared<SseWriter>(stream, keep_alive_interval);
  // Exactly "text/event-stream": httplib gzips any other text/* type when the client accepts
  // it, and a compressor holds the events back until the end.
  response.set_chunked_content_provider(
      "text/event-stream",
      [writer](size_t /*offset*/, httplib::DataSink& sink) { return (*writer)(sink); },
      // Runs when httplib is done with the response, however it ended. cancel() does nothing
      // when the writer took the stream's last frames; otherwise the client went away or the
      // server is stopping, and the producer must stop.
      [stream, in_flight](bool /*success*/) { stream->cancel(); });
}

}  // namespace qinfer::server
