// The HTTP layer over real sockets: routing, errors in OpenAI's shape, auth, body limits,
// lifecycle. Streams, draining and concurrency are in http_server_stream_test.cpp.
#include "server/http_server.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "test_http.h"

namespace qinfer::server {
namespace {

using testing::body_json;
using testing::client_for;
using testing::RawConnection;
using testing::start_server;
using testing::test_options;

// Echoes the request: method, path parameter, a header, and the parsed JSON body.
void register_echo_routes(HttpServer& server) {
  ASSERT_TRUE(server.route("POST", "/v1/echo", [](const Request& request) -> HandlerResult {
    auto parsed = parse_json_body(request);
    if (auto* error = std::get_if<api::ApiError>(&parsed)) return error_response(*error);
    return JsonResponse{200, {{"echo", std::get<api::Json>(parsed)}}, {{"X-Echo", "1"}}};
  }).ok());
  ASSERT_TRUE(server.route("GET", "/v1/models", [](const Request& request) -> HandlerResult {
    return JsonResponse{200,
                        {{"object", "list"},
                         {"method", request.method},
                         {"user_agent", request.header("user-agent").value_or("")}},
                        {}};
  }).ok());
  ASSERT_TRUE(server.route("GET", "/v1/models/{id}", [](const Request& request) -> HandlerResult {
    return JsonResponse{200, {{"id", request.path_param("id")}}, {}};
  }).ok());
  ASSERT_TRUE(server.route("GET", "/v1/throws", [](const Request&) -> HandlerResult {
    throw std::runtime_error("the handler failed");
  }).ok());
  ASSERT_TRUE(server.route("GET", "/metrics", [](const Request&) -> HandlerResult {
    return RawResponse{200, "text/plain; version=0.0.4", "qinfer_up 1\n", {}};
  }, RouteClass::open).ok());
}

void expect_openai_error(const httplib::Result& result, int status, const std::string& code) {
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, status);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  nlohmann::json body = body_json(result);
  ASSERT_TRUE(body.contains("error")) << result->body;
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_TRUE(body["error"]["type"].is_string());
  EXPECT_TRUE(body["error"].contains("param"));
  if (code.empty()) {
    EXPECT_TRUE(body["error"]["code"].is_null()) << result->body;
  } else {
    EXPECT_EQ(body["error"]["code"], code) << result->body;
  }
}

TEST(HttpServer, ServesJsonRoutes) {
  auto server = start_server(test_options(), register_echo_routes);
  ASSERT_GT(server->port(), 0);
  auto client = client_for(*server);

  auto posted = client->Post("/v1/echo", R"({"model":"m","n":2})", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  EXPECT_EQ(posted->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(posted->get_header_value("X-Echo"), "1");
  EXPECT_EQ(body_json(posted)["echo"]["n"], 2);

  auto listed = client->Get("/v1/models", {{"User-Agent", "OpenAI/Python 1.0"}});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 200);
  EXPECT_EQ(body_json(listed)["method"], "GET");
  EXPECT_EQ(body_json(listed)["user_agent"], "OpenAI/Python 1.0");

  auto head = client->Head("/v1/models");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());

  auto raw = client->Get("/metrics");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 200);
  EXPECT_EQ(raw->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_EQ(raw->body, "qinfer_up 1\n");
}

TEST(HttpServer, PathParameters) {
  auto server = start_server(test_options(), register_echo_routes);
  auto client = client_for(*server);
  auto plain = client->Get("/v1/models/qwen3-0.6b");
  ASSERT_TRUE(plain);
  EXPECT_EQ(body_json(plain)["id"], "qwen3-0.6b");
  // Raw and percent-encoded slashes both reach the handler as the model name.
  for (const char* path : {"/v1/models/Qwen/Qwen3-0.6B", "/v1/models/Qwen%2FQwen3-0.6B"}) {
    auto named = client->Get(path);
    ASSERT_TRUE(named);
    EXPECT_EQ(named->status, 200);
    EXPECT_EQ(body_json(named)["id"], "Qwen/Qwen3-0.6B") << path;
  }
}

TEST(HttpServer, UnknownRouteIs404AndWrongMethodIs405WithAllow) {
  auto server = start_server(test_options(), register_echo_routes);
  auto client = client_for(*server);
  expect_openai_error(client->Get("/v1/nope"), 404, "not_found");
  expect_openai_error(client->Post("/v1/nope", "{}", "application/json"), 404, "not_found");
  // A path longer than httplib's routing regex has ever seen, still under its URI limit.
  std::string long_path = "/";
  long_path.append(8000, 'a');
  expect_openai_error(client->Get(long_path), 404, "not_found");

  auto wrong = client->Get("/v1/echo");
  expect_openai_error(wrong, 405, "method_not_allowed");
  EXPECT_EQ(wrong->get_header_value("Allow"), "POST, OPTIONS");
  auto wrong_post = client->Post("/v1/models", "{}", "application/json");
  expect_openai_error(wrong_post, 405, "method_not_allowed");
  EXPECT_EQ(wrong_post->get_header_value("Allow"), "GET, HEAD, OPTIONS");
  auto wrong_delete = client->Delete("/health");
  expect_openai_error(wrong_delete, 405, "method_not_allowed");

  // Methods httplib itself does not route get the same answers.
  RawConnection trace(server->port());
  ASSERT_TRUE(trace.send("TRACE /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string traced = trace.read_response();
  EXPECT_EQ(RawConnection::status_of(traced), 405) << traced;
  EXPECT_NE(traced.find("Allow: GET, HEAD, OPTIONS"), std::string::npos) << traced;
  RawConnection trace_unknown(server->port());
  ASSERT_TRUE(trace_unknown.send("TRACE /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(RawConnection::status_of(trace_unknown.read_response()), 404);
}

TEST(HttpServer, PostWithoutLengthHasAnEmptyBody) {
  // RFC 9112: no Content-Length and no Transfer-Encoding means no body; the handler runs at
  // once instead of the server reading until the client gives up.
  auto server = start_server(test_options(), register_echo_routes);
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("POST /v1/echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string response = raw.read_response();
  EXPECT_EQ(RawConnection::status_of(response), 400) << response;
  EXPECT_NE(response.find("The request body is empty"), std::string::npos) << response;
}

TEST(HttpServer, ApiKeyGuardsWorkRoutesButNotProbes) {
  HttpServerOptions options = test_options();
  options.api_keys = {"sk-test-1", "sk-test-2"};
  auto server = start_server(options, register_echo_routes);
  auto client = client_for(*server);

  auto missing = client->Post("/v1/echo", "{}", "application/json");
  expect_openai_error(missing, 401, "invalid_api_key");
  EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), "Bearer");
  expect_openai_error(client->Get("/v1/models", {{"Authorization", "Bearer sk-wrong"}}), 401,
                      "invalid_api_key");
  expect_openai_error(client->Get("/v1/models", {{"Authorization", "sk-test-1"}}), 401,
                      "invalid_api_key");

  auto right = client->Post("/v1/echo", {{"Authorization", "Bearer sk-test-2"}}, "{\"a\":1}",
                            "application/json");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_EQ(body_json(right)["echo"]["a"], 1);

  for (const char* open_path : {"/health", "/ready", "/metrics"}) {
    auto open = client->Get(open_path);
    ASSERT_TRUE(open);
    EXPECT_EQ(open->status, 200) << open_path;
  }
  // An unknown route says 404 whatever the key; it reveals nothing a 401 would hide.
  expect_openai_error(client->Get("/v1/nope"), 404, "not_found");
}

TEST(HttpServer, MalformedJsonAndInvalidUtf8Are400) {
  auto server = start_server(test_options(), register_echo_routes);
  auto client = client_for(*server);
  expect_openai_error(client->Post("/v1/echo", "{\"model\": ", "application/json"), 400, "");
  expect_openai_error(client->Post("/v1/echo", "", "application/json"), 400, "");
  auto invalid_utf8 = client->Post("/v1/echo", "{\"content\":\"\xc3\x28\"}", "application/json");
  expect_openai_error(invalid_utf8, 400, "");
  EXPECT_EQ(body_json(invalid_utf8)["error"]["type"], "invalid_request_error");
  // The server is fine afterwards.
  auto after = client->Post("/v1/echo", "{\"ok\":true}", "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST(HttpServer, HandlerExceptionIs500AndTheServerStaysUp) {
  auto server = start_server(test_options(), register_echo_routes);
  auto client = client_for(*server);
  for (int i = 0; i < 3; ++i) {
    auto failed = client->Get("/v1/throws");
    expect_openai_error(failed, 500, "");
    EXPECT_EQ(body_json(failed)["error"]["type"], "server_error");
    EXPECT_NE(body_json(failed)["error"]["message"].get<std::string>().find("the handler failed"),
              std::string::npos);
  }
  auto health = client->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(body_json(health)["status"], "ok");
}

TEST(HttpServer, DeclaredTooLargeBodyIsRefusedUnread) {
  HttpServerOptions options = test_options();
  options.max_body_bytes = 1024;
  auto server = start_server(options, register_echo_routes);

  // A terabyte announced, nothing sent: the answer comes at once and the connection closes.
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 1000000000000\r\n\r\n"));
  std::string response = raw.read_until_closed();
  EXPECT_EQ(RawConnection::status_of(response), 413) << response;
  nlohmann::json body = nlohmann::json::parse(RawConnection::body_of(response), nullptr, false);
  EXPECT_EQ(body["error"]["code"], "request_too_large") << response;
  EXPECT_TRUE(raw.closed_by_peer());

  // With "Expect: 100-continue" (curl's habit for large bodies) the refusal comes before the
  // body is sent, as a final response instead of "100 Continue".
  RawConnection expecting(server->port());
  ASSERT_TRUE(expecting.send("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                             "Expect: 100-continue\r\n\r\n"));
  std::string refused = expecting.read_response();
  EXPECT_EQ(RawConnection::status_of(refused), 413) << refused;
  EXPECT_EQ(nlohmann::json::parse(RawConnection::body_of(refused), nullptr, false)["error"]["code"],
            "request_too_large") << refused;

  // A body somewhat over the limit is read and discarded, so an ordinary client that sent it
  // whole gets the 413 rather than a reset connection.
  auto client = client_for(*server);
  expect_openai_error(client->Post("/v1/echo", std::string(1500, ' '), "application/json"), 413,
                      "request_too_large");
  auto fits = client->Post("/v1/echo", "{\"pad\":\"" + std::string(900, 'x') + "\"}",
                           "application/json");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

TEST(HttpServer, ChunkedBodyOverTheLimitIs413) {
  HttpServerOptions options = test_options();
  options.max_body_bytes = 1024;
  auto server = start_server(options, register_echo_routes);

  // No Content-Length: the limit is found while reading. Just over: drained, connection kept.
  auto client = client_for(*server);
  const std::string body(1500, ' ');
  auto chunked = client->Post(
      "/v1/echo",
      [&](size_t offset, httplib::DataSink& sink) {
        const size_t piece = std::min<size_t>(100, body.size() - offset);
        sink.write(body.data() + offset, piece);
        if (offset + piece == body.size()) sink.done();
        return true;
      },
      "application/json");
  expect_openai_error(chunked, 413, "request_too_large");

  // Far over: the server stops reading at twice the limit and closes the connection.
  RawConnection raw(server->port());
  std::string request = "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) request += "400\r\n" + std::string(1024, 'x') + "\r\n";
  ASSERT_TRUE(raw.send(request));
  std::string response = raw.read_until_closed();
  EXPECT_EQ(RawConnection::status_of(response), 413) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
}

TEST(HttpServer, CompressedBodyIsLimitedAfterDecompression) {
  HttpServerOptions options = test_options();
  options.max_body_bytes = 1024;
  auto server = start_server(options, register_echo_routes);
  auto client = client_for(*server);
  client->set_compress(true);  // Content-Encoding: gzip
  const nlohmann::json small_body = {{"text", std::string(500, 'z')}};
  auto small = client->Post("/v1/echo", small_body.dump(), "application/json");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
  EXPECT_EQ(body_json(small)["echo"]["text"].get<std::string>().size(), 500u);
  // A few hundred compressed bytes that inflate to 1 MB: the limit counts what they inflate to.
  const nlohmann::json inflating_body = {{"text", std::string(1 << 20, 'z')}};
  auto bomb = client->Post("/v1/echo", inflating_body.dump(), "application/json");
  expect_openai_error(bomb, 413, "request_too_large");
}

TEST(HttpServer, HttplibsOwnErrorsAreJsonToo) {
  auto server = start_server(test_options(), register_echo_routes);
  RawConnection garbage(server->port());
  ASSERT_TRUE(garbage.send("THIS IS NOT HTTP\r\n\r\n"));
  std::string response = garbage.read_response();
  EXPECT_EQ(RawConnection::status_of(response), 400) << response;
  nlohmann::json body = nlohmann::json::parse(RawConnection::body_of(response), nullptr, false);
  EXPECT_EQ(body["error"]["type"], "invalid_request_error") << response;
  EXPECT_NE(response.find("Content-Type: application/json"), std::string::npos);

  RawConnection long_uri(server->port());
  std::string long_request_line = "GET /";
  long_request_line.append(9000, 'a');
  long_request_line += " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(long_uri.send(long_request_line));
  std::string uri_response = long_uri.read_response();
  EXPECT_EQ(RawConnection::status_of(uri_response), 414) << uri_response;
  EXPECT_TRUE(nlohmann::json::parse(RawConnection::body_of(uri_response), nullptr, false)
                  .contains("error"));

  RawConnection bad_range(server->port());
  ASSERT_TRUE(bad_range.send("GET /v1/models HTTP/1.1\r\nHost: x\r\nRange: bytes=z\r\n\r\n"));
  std::string range_response = bad_range.read_response();
  EXPECT_EQ(RawConnection::status_of(range_response), 416) << range_response;
  EXPECT_TRUE(nlohmann::json::parse(RawConnection::body_of(range_response), nullptr, false)
                  .contains("error"));
}

TEST(HttpServer, AnswersCorsPreflightWithoutAKey) {
  HttpServerOptions options = test_options();
  options.api_keys = {"sk-test"};
  auto server = start_server(options, register_echo_routes);
  auto client = client_for(*server);
  auto preflight = client->Options("/v1/echo", {{"Origin", "http://localhost:5173"},
                                                {"Access-Control-Request-Method", "POST"},
                                                {"Access-Control-Request-Headers",
                                                 "authorization, content-type"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Methods"), "POST, OPTIONS");
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Headers"),
            "authorization, content-type");
  // The actual request's response lets the page read it.
  auto actual = client->Post("/v1/echo", {{"Origin", "http://localhost:5173"},
                                          {"Authorization", "Bearer sk-test"}},
                             "{}", "application/json");
  ASSERT_TRUE(actual);
  EXPECT_EQ(actual->status, 200);
  EXPECT_EQ(actual->get_header_value("Access-Control-Allow-Origin"), "*");
  expect_openai_error(client->Options("/v1/nope"), 404, "not_found");
}

TEST(HttpServer, LifecycleErrors) {
  auto server = start_server(test_options(), register_echo_routes);
  // Routes are fixed once serving.
  EXPECT_FALSE(server->route("GET", "/late", [](const Request&) -> HandlerResult {
    return JsonResponse{};
  }).ok());
  EXPECT_FALSE(server->start().ok());

  // A taken port is an error, not a second server sharing it.
  HttpServerOptions same_port = test_options();
  same_port.port = server->port();
  HttpServer second(same_port);
  Status second_start = second.start();
  ASSERT_FALSE(second_start.ok());
  EXPECT_NE(second_start.error().message.find(std::to_string(server->port())), std::string::npos);

  server->stop();
  server->stop();  // idempotent
  EXPECT_EQ(server->port(), 0);
}

TEST(HttpServer, LoadingStateServesProbesOnly) {
  auto server = start_server(test_options(), register_echo_routes, /*ready=*/false);
  auto client = client_for(*server);
  EXPECT_EQ(server->readiness(), Readiness::loading);
  auto health = client->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = client->Get("/ready");
  expect_openai_error(ready, 503, "unavailable");
  auto work = client->Get("/v1/models");
  expect_openai_error(work, 503, "unavailable");
  EXPECT_EQ(work->get_header_value("Retry-After"), "5");

  server->set_ready();
  auto now_ready = client->Get("/ready");
  ASSERT_TRUE(now_ready);
  EXPECT_EQ(now_ready->status, 200);
  EXPECT_EQ(body_json(now_ready)["status"], "ready");
  auto served = client->Get("/v1/models");
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
}

}  // namespace
}  // namespace qinfer::server
