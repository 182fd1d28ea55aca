// SSE streaming, draining, slow clients and concurrency over real sockets. No test asserts a
// speed: waits are bounded by testing::kPatience and only ever end early.
#include "server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_http.h"

namespace qinfer::server {
namespace {

using testing::body_json;
using testing::client_for;
using testing::eventually;
using testing::kPatience;
using testing::RawConnection;
using testing::start_server;
using testing::test_options;

// A one-shot signal between a test and a handler or producer thread.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kPatience, [&] { return open_; });
  }
  bool is_open() {
    std::lock_guard lock(mutex_);
    return open_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Feeds streams from producer threads the way the engine will; joins them at the end.
class Producers {
 public:
  ~Producers() {
    for (auto& thread : threads_) thread.join();
  }
  template <class F>
  void run(F&& body) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back(std::forward<F>(body));
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

// Everything a streaming client received, as it arrived.
struct Received {
  std::mutex mutex;
  std::string text;
  void append(const char* data, size_t size) {
    std::lock_guard lock(mutex);
    text.append(data, size);
  }
  bool contains(const std::string& needle) {
    std::lock_guard lock(mutex);
    return text.find(needle) != std::string::npos;
  }
};

TEST(HttpServerStream, EventsInOrderThenDone) {
  Producers producers;  // declared before the server: joined after it stopped
  auto server = start_server(test_options(), [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/chat/completions", [&](const Request&) -> HandlerResult {
      auto stream = std::make_shared<SseStream>();
      producers.run([stream] {
        for (int i = 0; i < 20; ++i) stream->push({{"index", i}});
        stream->finish();
      });
      return stream;
    }).ok());
  });
  auto client = client_for(*server);
  auto result = client->Post("/v1/chat/completions", "{}", "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_EQ(result->get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(result->get_header_value("X-Accel-Buffering"), "no");
  EXPECT_EQ(result->get_header_value("Transfer-Encoding"), "chunked");
  std::string expected;
  for (int i = 0; i < 20; ++i) expected += "data: {\"index\":" + std::to_string(i) + "}\n\n";
  expected += "data: [DONE]\n\n";
  EXPECT_EQ(result->body, expected);
  EXPECT_TRUE(server->wait_idle(kPatience));
}

TEST(HttpServerStream, ErrorBeforeTheFirstEventIsPlainJson) {
  auto server = start_server(test_options(), [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/chat/completions", [&](const Request&) -> HandlerResult {
      return error_response(api::context_length_exceeded("too long"));
    }).ok());
  });
  auto result = client_for(*server)->Post("/v1/chat/completions", "{}", "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 400);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(body_json(result)["error"]["code"], "context_length_exceeded");
}

TEST(HttpServerStream, KeepAliveCommentWhileTheProducerIsSilent) {
  HttpServerOptions options = test_options();
  options.sse_keep_alive_interval_ms = 50;
  Received received;
  Gate client_saw_keep_alive;
  Producers producers;  // after what the producers use, before the server
  auto server = start_server(options, [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/completions", [&](const Request&) -> HandlerResult {
      auto stream = std::make_shared<SseStream>();
      producers.run([&, stream] {
        stream->push({{"phase", "before"}});
        // A long prefill: nothing to send until the client has seen a keep-alive comment.
        client_saw_keep_alive.wait();
        stream->push({{"phase", "after"}});
        stream->finish();
      });
      return stream;
    }).ok());
  });
  auto client = client_for(*server);
  httplib::Request request;
  request.method = "POST";
  request.path = "/v1/completions";
  request.body = "{}";
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    received.append(data, size);
    if (received.contains(": keep-alive\n\n")) client_saw_keep_alive.open();
    return true;
  };
  auto result = client->send(request);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_TRUE(client_saw_keep_alive.is_open());
  const std::string& text = received.text;
  const size_t before = text.find("data: {\"phase\":\"before\"}\n\n");
  const size_t keep_alive = text.find(": keep-alive\n\n");
  const size_t after = text.find("data: {\"phase\":\"after\"}\n\n");
  ASSERT_NE(before, std::string::npos) << text;
  ASSERT_NE(keep_alive, std::string::npos) << text;
  ASSERT_NE(after, std::string::npos) << text;
  EXPECT_LT(before, keep_alive);
  EXPECT_LT(keep_alive, after);
  EXPECT_TRUE(text.ends_with("data: [DONE]\n\n")) << text;
}

// The client reads the first event and hangs up; `keep_producing` says whether the producer
// is then silent (noticed by the writer's socket check) or still pushing (noticed by a write).
void check_disconnect_cancels(bool keep_producing) {
  std::shared_ptr<SseStream> stream = std::make_shared<SseStream>();
  std::atomic<int> on_cancel_calls{0};
  std::atomic<bool> stop_producing{false};
  Producers producers;  // after what the producers use, before the server
  auto server = start_server(test_options(), [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/chat/completions", [&](const Request&) -> HandlerResult {
      stream->set_on_cancel([&] { on_cancel_calls++; });
      producers.run([&] {
        stream->push({{"token", 0}});
        while (keep_producing && !stop_producing && !stream->cancelled()) {
          stream->push({{"token", 1}});
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
      return stream;
    }).ok());
  });
  {
    auto client = client_for(*server);
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/chat/completions";
    request.body = "{}";
    request.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      return false;  // got something; abort the transfer and close the connection
    };
    client->send(request);
  }
  EXPECT_TRUE(eventually([&] { return stream->cancelled(); }));
  EXPECT_EQ(on_cancel_calls.load(), 1);
  EXPECT_FALSE(stream->push({{"token", 2}}));  // dropped, without blocking
  stop_producing = true;
  EXPECT_TRUE(server->wait_idle(kPatience));
  EXPECT_EQ(server->in_flight(), 0u);
  // The server serves on.
  auto health = client_for(*server)->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(HttpServerStream, ClientDisconnectWhileProducerIsSilentCancels) {
  check_disconnect_cancels(/*keep_producing=*/false);
}

TEST(HttpServerStream, ClientDisconnectWhileProducingCancels) {
  check_disconnect_cancels(/*keep_producing=*/true);
}

TEST(HttpServerStream, StopCancelsOpenStreams) {
  std::shared_ptr<SseStream> stream = std::make_shared<SseStream>();
  Gate first_event_sent;
  auto server = start_server(test_options(), [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/chat/completions", [&](const Request&) -> HandlerResult {
      stream->push({{"token", 0}});
      return stream;  // never finished by its producer
    }).ok());
  });
  std::thread client_thread([&] {
    auto client = client_for(*server);
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/chat/completions";
    request.body = "{}";
    request.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      first_event_sent.open();
      return true;
    };
    client->send(request);
  });
  ASSERT_TRUE(first_event_sent.wait());
  server->stop();
  EXPECT_TRUE(stream->cancelled());
  client_thread.join();
}

TEST(HttpServerStream, DrainFinishesInFlightWorkAndRefusesNewWork) {
  Gate handler_entered;
  Gate release_handler;
  auto server = start_server(test_options(), [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/slow", [&](const Request&) -> HandlerResult {
      handler_entered.open();
      release_handler.wait();
      return JsonResponse{200, {{"done", true}}, {}};
    }).ok());
    ASSERT_TRUE(s.route("GET", "/v1/models", [](const Request&) -> HandlerResult {
      return JsonResponse{200, {{"object", "list"}}, {}};
    }).ok());
  });
  auto in_flight_request = std::async(std::launch::async, [&] {
    return client_for(*server)->Post("/v1/slow", "{}", "application/json");
  });
  ASSERT_TRUE(handler_entered.wait());
  EXPECT_EQ(server->in_flight(), 1u);

  server->begin_drain();
  EXPECT_EQ(server->readiness(), Readiness::draining);
  server->set_ready();  // draining is final
  EXPECT_EQ(server->readiness(), Readiness::draining);
  auto client = client_for(*server);
  auto ready = client->Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(body_json(ready)["error"]["code"], "unavailable");
  auto refused = client->Get("/v1/models");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "5");
  EXPECT_EQ(body_json(refused)["error"]["type"], "server_error");
  auto health = client->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_FALSE(server->wait_idle(std::chrono::milliseconds(20)));  // the slow one still runs

  release_handler.open();
  auto finished = in_flight_request.get();
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->status, 200);
  EXPECT_EQ(body_json(finished)["done"], true);
  EXPECT_TRUE(server->wait_idle(kPatience));
  EXPECT_EQ(server->in_flight(), 0u);
}

TEST(HttpServerStream, StreamCountsAsInFlightUntilItEnds) {
  Gate finish_stream;
  Producers producers;
  auto server = start_server(test_options(), [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/chat/completions", [&](const Request&) -> HandlerResult {
      auto stream = std::make_shared<SseStream>();
      producers.run([&, stream] {
        stream->push({{"token", 0}});
        finish_stream.wait();
        stream->push({{"token", 1}});
        stream->finish();
      });
      return stream;
    }).ok());
  });
  auto streaming = std::async(std::launch::async, [&] {
    return client_for(*server)->Post("/v1/chat/completions", "{}", "application/json");
  });
  ASSERT_TRUE(eventually([&] { return server->in_flight() == 1; }));
  server->begin_drain();
  EXPECT_FALSE(server->wait_idle(std::chrono::milliseconds(20)));
  finish_stream.open();
  auto result = streaming.get();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->body, "data: {\"token\":0}\n\ndata: {\"token\":1}\n\ndata: [DONE]\n\n");
  EXPECT_TRUE(server->wait_idle(kPatience));
}

TEST(HttpServerStream, StalledClientDoesNotBlockOthers) {
  HttpServerOptions options = test_options();
  options.read_timeout_ms = 1000;
  options.keep_alive_timeout_seconds = 1;
  auto server = start_server(options, [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/echo", [](const Request& request) -> HandlerResult {
      return JsonResponse{200, {{"bytes", request.body.size()}}, {}};
    }).ok());
  });
  // One client stops inside its headers, another inside its body.
  RawConnection stalled_in_headers(server->port());
  ASSERT_TRUE(stalled_in_headers.send("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Le"));
  RawConnection stalled_in_body(server->port());
  ASSERT_TRUE(stalled_in_body.send(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"model\":"));

  auto client = client_for(*server);
  for (int i = 0; i < 3; ++i) {
    auto result = client->Post("/v1/echo", "{}", "application/json");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
  }
  // Each stalled connection is dropped once its read times out: the half body gets a 400 for
  // the truncated body, the half header nothing but the close.
  std::string body_answer = stalled_in_body.read_until_closed();
  EXPECT_TRUE(stalled_in_body.closed_by_peer());
  if (!body_answer.empty()) {
    EXPECT_EQ(RawConnection::status_of(body_answer), 400) << body_answer;
  }
  stalled_in_headers.read_until_closed();
  EXPECT_TRUE(stalled_in_headers.closed_by_peer());
  EXPECT_TRUE(server->wait_idle(kPatience));
}

TEST(HttpServerStream, ManyConcurrentRequestsAllSucceed) {
  std::atomic<int> handled{0};
  auto server = start_server(test_options(), [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/echo", [&](const Request& request) -> HandlerResult {
      handled++;
      auto parsed = parse_json_body(request);
      if (auto* error = std::get_if<api::ApiError>(&parsed)) return error_response(*error);
      return JsonResponse{200, std::get<api::Json>(parsed), {}};
    }).ok());
  });
  constexpr int kThreads = 8;
  constexpr int kRequests = 50;
  std::atomic<int> next{0};
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto client = client_for(*server);
      client->set_keep_alive(t % 2 == 0);  // half reuse their connection, half reconnect
      for (int i = next++; i < kRequests; i = next++) {
        nlohmann::json body = {{"request", i}, {"thread", t}};
        auto result = client->Post("/v1/echo", body.dump(), "application/json");
        if (result && result->status == 200 &&
            nlohmann::json::parse(result->body, nullptr, false) == body) {
          succeeded++;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), kRequests);
  EXPECT_EQ(handled.load(), kRequests);
  EXPECT_TRUE(server->wait_idle(kPatience));
}

}  // namespace
}  // namespace qinfer::server
