// X-Request-Id: a sane client id is kept, anything else replaced by a generated one; the response
// echoes it once, the handler and the request observers see the same id.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "server/request_id.h"
#include "test_http.h"

namespace qinfer::server {
namespace {

using testing::client_for;
using testing::RawConnection;
using testing::start_server;
using testing::test_options;

struct Seen {
  std::mutex mutex;
  std::vector<std::string> observed;
};

std::unique_ptr<HttpServer> id_server(Seen& seen) {
  HttpServerOptions options = test_options();
  options.request_observers.push_back([&seen](const CompletedRequest& request) {
    std::lock_guard lock(seen.mutex);
    seen.observed.push_back(request.request_id);
  });
  return start_server(options, [](HttpServer& server) {
    ASSERT_TRUE(server.route("POST", "/v1/id", [](const Request& request) -> HandlerResult {
      return JsonResponse{200, {{"id", request.header("X-Request-Id").value_or("")}}, {}};
    }).ok());
  });
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(RequestId, OnlyShortIdsOfSafeCharactersAreSane) {
  EXPECT_TRUE(is_sane_request_id("trace-42:a.b_c"));
  EXPECT_TRUE(is_sane_request_id(std::string(128, 'a')));
  EXPECT_FALSE(is_sane_request_id(std::string(129, 'a')));
  EXPECT_FALSE(is_sane_request_id(""));
  for (const char* bad : {"a b", "a\"b", "a\nb", "a{b", "a/b", "\xc3\xa9"}) {
    EXPECT_FALSE(is_sane_request_id(bad)) << bad;
  }
  const std::string made = new_request_id();
  EXPECT_EQ(made.size(), 32u);
  EXPECT_TRUE(is_sane_request_id(made));
  EXPECT_NE(made, new_request_id());
}

TEST(RequestId, SaneClientIdIsKeptOthersAreReplaced) {
  Seen seen;
  auto server = id_server(seen);
  auto client = client_for(*server);
  auto kept = client->Post("/v1/id", {{"X-Request-Id", "trace-42:a.b_c"}}, "{}", "application/json");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->get_header_value("X-Request-Id"), "trace-42:a.b_c");
  EXPECT_EQ(nlohmann::json::parse(kept->body)["id"], "trace-42:a.b_c");
  for (const std::string& bad : {std::string("has space"), std::string(129, 'a'), std::string()}) {
    httplib::Headers headers;
    if (!bad.empty()) headers.emplace("X-Request-Id", bad);
    auto replaced = client->Post("/v1/id", headers, "{}", "application/json");
    ASSERT_TRUE(replaced);
    const std::string id = replaced->get_header_value("X-Request-Id");
    EXPECT_EQ(id.size(), 32u) << bad;
    EXPECT_NE(id, bad);
    EXPECT_EQ(nlohmann::json::parse(replaced->body)["id"], id);
  }
  auto missing = client->Get("/nowhere");  // the server's own 404s get one too
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->get_header_value("X-Request-Id").size(), 32u);
  server->stop();
  // Each request came on its own connection, so the observers (run by the worker after the
  // response is written) may report them in any order.
  std::lock_guard lock(seen.mutex);
  ASSERT_EQ(seen.observed.size(), 5u);
  const auto observed = [&](const std::string& id) {
    return std::find(seen.observed.begin(), seen.observed.end(), id) != seen.observed.end();
  };
  EXPECT_TRUE(observed("trace-42:a.b_c"));
  EXPECT_TRUE(observed(missing->get_header_value("X-Request-Id")));
}

TEST(RequestId, ExpectContinueGetsOneId) {
  Seen seen;
  auto server = id_server(seen);
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("POST /v1/id HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  const std::string interim = raw.read_response();
  EXPECT_EQ(RawConnection::status_of(interim), 100) << interim;
  ASSERT_TRUE(raw.send("{}"));
  const std::string response = raw.read_response();
  EXPECT_EQ(RawConnection::status_of(response), 200) << response;
  EXPECT_EQ(count(response, "X-Request-Id: "), 1u) << response;
}

}  // namespace
}  // namespace qinfer::server
