// HttpServerOptions::request_observers over real sockets: one call per request, after its
// response, with the route pattern and status (the feed of metrics and access logs).
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"
#include "test_http.h"

namespace qinfer::server {
namespace {

using testing::client_for;
using testing::eventually;
using testing::kPatience;
using testing::start_server;
using testing::test_options;

class Recorder {
 public:
  RequestObserver observer() {
    return [this](const CompletedRequest& request) {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    };
  }
  std::vector<CompletedRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  size_t size() {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<CompletedRequest> requests_;
};

TEST(RequestObserver, SeesRoutePatternStatusAndRefusals) {
  Recorder recorder;
  HttpServerOptions options = test_options();
  options.request_observers = {recorder.observer(),
                               [](const CompletedRequest&) { throw std::runtime_error("x"); }};
  auto server = start_server(options, [](HttpServer& s) {
    ASSERT_TRUE(s.route("GET", "/v1/models/{id}", [](const Request&) -> HandlerResult {
      return JsonResponse{200, {{"id", "m"}}, {}};
    }).ok());
  });
  auto client = client_for(*server);
  // Each observation is awaited before the next request: observers run after the response is
  // written, so a client can read one answer and send the next request before it is reported.
  ASSERT_EQ(client->Get("/v1/models/Qwen/Qwen3-0.6B")->status, 200);
  ASSERT_TRUE(eventually([&] { return recorder.size() == 1; }));
  ASSERT_EQ(client->Get("/no/such/route")->status, 404);
  ASSERT_TRUE(eventually([&] { return recorder.size() == 2; }));
  ASSERT_EQ(client->Post("/v1/models/x", "{}", "application/json")->status, 405);
  ASSERT_TRUE(eventually([&] { return recorder.size() == 3; }));

  const std::vector<CompletedRequest> seen = recorder.requests();
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].route, "/v1/models/{id}");
  EXPECT_EQ(seen[0].path, "/v1/models/Qwen/Qwen3-0.6B");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_GT(seen[0].duration.count(), 0);
  EXPECT_EQ(seen[0].remote_addr, "127.0.0.1");
  EXPECT_EQ(seen[1].route, "");
  EXPECT_EQ(seen[1].path, "/no/such/route");
  EXPECT_EQ(seen[1].status, 404);
  EXPECT_EQ(seen[2].method, "POST");
  EXPECT_EQ(seen[2].route, "");
  EXPECT_EQ(seen[2].status, 405);
  // The throwing observer cost nothing: the server serves on.
  EXPECT_EQ(client->Get("/health")->status, 200);
  EXPECT_TRUE(eventually([&] { return recorder.size() == 4; }));
  EXPECT_EQ(recorder.requests()[3].route, "/health");
}

TEST(RequestObserver, StreamIsReportedAfterItsLastFrame) {
  Recorder recorder;
  HttpServerOptions options = test_options();
  options.request_observers = {recorder.observer()};
  auto stream = std::make_shared<SseStream>();
  auto server = start_server(options, [&](HttpServer& s) {
    ASSERT_TRUE(s.route("POST", "/v1/chat/completions", [&](const Request&) -> HandlerResult {
      stream->push({{"token", 0}});
      return stream;
    }).ok());
  });
  std::mutex mutex;
  std::string received;
  std::thread client_thread([&] {
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/chat/completions";
    request.body = "{}";
    request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      std::lock_guard lock(mutex);
      received.append(data, size);
      return true;
    };
    client_for(*server)->send(request);
  });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return received.find("\"token\":0") != std::string::npos;
  }));
  // The first frame is out, the stream is open: the request has not completed.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(recorder.size(), 0u);
  stream->push({{"token", 1}});
  stream->finish();
  client_thread.join();
  ASSERT_TRUE(eventually([&] { return recorder.size() == 1; }));
  const CompletedRequest done = recorder.requests()[0];
  EXPECT_EQ(done.route, "/v1/chat/completions");
  EXPECT_EQ(done.status, 200);
  EXPECT_GE(done.duration, std::chrono::milliseconds(50));
  EXPECT_TRUE(server->wait_idle(kPatience));
}

}  // namespace
}  // namespace qinfer::server
