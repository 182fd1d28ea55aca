#include "server/http_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "api/openai_error.h"
#include "server/api_key_auth.h"
#include "server/client_connection.h"
#include "server/request_id.h"
#include "server/response_writer.h"
#include "server/tls_files.h"

namespace qinfer::server {

namespace {

// httplib 0.11 listens with a backlog of 5; a burst of connections beyond it (eight SDK clients
// starting together) has its SYNs dropped and retried a second later. Linux lets listen() be
// called again on the bound socket to raise it.
constexpr int kListenBacklog = 512;

// Pseudo-fields httplib adds to every request's headers.
bool is_httplib_pseudo_header(std::string_view name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

uint64_t declared_content_length(const httplib::Request& request) {
  return request.get_header_value<uint64_t>("Content-Length");
}

bool declares_body(const httplib::Request& request) {
  return declared_content_length(request) > 0 || request.has_header("Transfer-Encoding");
}

// The methods serve() sees (the ones httplib routes); HEAD goes to GET handlers.
bool is_served_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "POST" ||
         method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Requests counted between their readiness check and the end of their response, and the
// readiness itself: one mutex makes "check ready, then count" atomic against "set draining,
// then wait for zero", so no request slips past a drain.
class InFlightTracker {
 public:
  // Counts a request if the server is ready; false (not counted) while loading or draining.
  bool try_enter() {
    std::lock_guard lock(mutex_);
    if (readiness_ != Readiness::ready) return false;
    ++count_;
    return true;
  }
  void leave() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) idle_.notify_all();
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  bool wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [&] { return count_ == 0; });
  }
  Readiness readiness() const {
    std::lock_guard lock(mutex_);
    return readiness_;
  }
  void set_ready() {
    std::lock_guard lock(mutex_);
    if (readiness_ == Readiness::loading) readiness_ = Readiness::ready;
  }
  void begin_drain() {
    std::lock_guard lock(mutex_);
    readiness_ = Readiness::draining;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  size_t count_ = 0;
  Readiness readiness_ = Readiness::loading;
};

// One counted request; shared by a stream's response until httplib lets go of it.
class InFlightToken {
 public:
  explicit InFlightToken(InFlightTracker& tracker) : tracker_(tracker) {}
  ~InFlightToken() { tracker_.leave(); }
  InFlightToken(const InFlightToken&) = delete;
  InFlightToken& operator=(const InFlightToken&) = delete;

 private:
  InFlightTracker& tracker_;
};

// What the request-observer hook needs from a request that httplib's logger cannot see. httplib
// serves a connection on one thread, from reading a request through writing its response (a
// stream's content provider included) to calling the logger, so a thread_local carries it.
struct RequestContext {
  bool started = false;  // false: httplib answered before any of our handlers saw the request
  std::chrono::steady_clock::time_point start;
  const std::string* route = nullptr;  // the matched route's pattern, owned by the router
  std::string request_id;
};
thread_local RequestContext current_request;

void begin_request_context() {
  current_request.started = true;
  current_request.start = std::chrono::steady_clock::now();
  current_request.route = nullptr;
  current_request.request_id.clear();
}

// Takes (or makes) the request's id for the access log and echoes it to the client. A request
// with "Expect: 100-continue" comes here twice (before and after the 100): one id, one header.
void assign_request_id(const httplib::Request& request, httplib::Response& response) {
  if (response.has_header("X-Request-Id")) {
    current_request.request_id = response.get_header_value("X-Request-Id");
    return;
  }
  std::string id = request.get_header_value("X-Request-Id");
  if (!is_sane_request_id(id)) id = new_request_id();
  response.set_header("X-Request-Id", id);
  current_request.request_id = std::move(id);
}

// httplib::SSLServer when the options name a certificate: the rest of the server is the same.
std::unique_ptr<httplib::Server> make_httplib_server(const HttpServerOptions& options) {
  if (options.tls_cert_file.empty()) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                              options.tls_key_file.c_str());
}

// What reading a request body gave.
struct BodyRead {
  std::string body;
  bool too_large = false;     // more than max_body_bytes arrived (or were declared)
  bool consumed = true;       // the connection is positioned at the next request
  bool read_failed = false;   // the client stopped sending (timeout, disconnect, bad chunking)
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HttpServerOptions server_options)
      : options(std::move(server_options)),
        auth(options.api_keys),
        http_owner(make_httplib_server(options)),
        http(*http_owner) {}

  // A body over the limit is still read and discarded up to this many bytes, so that a client
  // that sent it whole (the usual case) reads our 413 instead of a connection reset; beyond it
  // the connection is closed unread. "A huge Content-Length" never gets read.
  size_t drain_limit_bytes() const {
    const size_t max = options.max_body_bytes;
    return max > std::numeric_limits<size_t>::max() / 2 ? max : 2 * max;
  }

  void configure_httplib();
  void notify_observers(const httplib::Request& request, const httplib::Response& response);
  void serve(const httplib::Request& http_request, httplib::Response& response,
             const httplib::ContentReader* body_reader);
  BodyRead read_body(const httplib::Request& http_request,
                     const httplib::ContentReader* body_reader, bool keep) const;
  std::optional<JsonResponse> reject_work_request(const httplib::Request& http_request,
                                                  std::shared_ptr<InFlightToken>& token);
  void answer_preflight(const httplib::Request& http_request, httplib::Response& response,
                        const std::string& allow) const;
  void run_handler(const Route& route, Request request, httplib::Response& response,
                   std::shared_ptr<InFlightToken> token, bool close_connection);
  JsonResponse unavailable_response(Readiness readiness) const;
  api::ApiError error_for_httplib_status(const httplib::Request& request, int status) const;

  HttpServerOptions options;
  ApiKeyAuth auth;
  Router router;
  InFlightTracker tracker;
  std::unique_ptr<httplib::Server> http_owner;
  httplib::Server& http;
  std::thread listener;
  std::atomic<int> bound_port{0};
  std::atomic<int> listen_socket{-1};
  std::atomic<bool> listener_exited{false};
};

void HttpServer::Impl::configure_httplib() {
  const int threads = std::max(1, options.http_threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http.set_read_timeout(std::chrono::milliseconds(options.read_timeout_ms));
  http.set_write_timeout(std::chrono::milliseconds(options.write_timeout_ms));
  http.set_keep_alive_timeout(options.keep_alive_timeout_seconds);
  http.set_keep_alive_max_count(static_cast<size_t>(std::max(1, options.keep_alive_max_requests)));
  // Bodies of routed requests are read by read_body; this bounds what httplib reads by itself.
  http.set_payload_max_length(drain_limit_bytes());
  http.set_socket_options([this](int socket) {
    const int yes = 1;
    // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT.
    // httplib's default also sets SO_REUSEPORT, which lets a second server bind the same port
    // and silently take half the connections; a taken port must be an error instead.
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    // Inherited by accepted sockets: without it Nagle's algorithm holds each small SSE frame
    // until the previous one is acknowledged (up to the client's 40 ms delayed ACK).
    setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    listen_socket = socket;
  });
  if (!options.cors_allow_origin.empty()) {
    http.set_default_headers({{"Access-Control-Allow-Origin", options.cors_allow_origin}});
  }

  // Before the body is read: a declared length that is not even worth draining, and methods
  // httplib would not route (TRACE, CONNECT, PRI: it answers those 400 itself).
  http.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    begin_request_context();
    assign_request_id(request, response);
    if (declared_content_length(request) > drain_limit_bytes()) {
      write_json(response, error_response(api::body_too_large(options.max_body_bytes)),
                 /*close_connection=*/true);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!is_served_method(request.method)) {
      const std::string allow = router.allowed_methods(request.path);
      const JsonResponse refusal =
          allow.empty()
              ? error_response(api::route_not_found(request.method, request.path))
              : error_response(api::method_not_allowed(request.method, request.path),
                               {{"Allow", allow}});
      write_json(response, refusal, /*close_connection=*/declares_body(request));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // curl sends "Expect: 100-continue" before a large body; refuse an oversized one before the
  // client sends it. Closing: a client that sends the body anyway must not have it parsed as
  // its next request.
  http.set_expect_100_continue_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        begin_request_context();
        assign_request_id(request, response);
        if (declared_content_length(request) <= options.max_body_bytes) return 100;
        write_json(response, error_response(api::body_too_large(options.max_body_bytes)),
                   /*close_connection=*/true);
        return response.status;
      });

  // httplib's own error responses (malformed request line or headers, bad Range, URI too long,
  // oversized payload) come without a body; give them the OpenAI error shape. Responses that
  // already have a body are ours. "Handled" also makes httplib set Content-Length on error
  // responses it writes outside routing (the Expect refusal above).
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (response.body.empty() && !response.content_provider_) {
          const api::ApiError error = error_for_httplib_status(request, response.status);
          response.set_content(dump_json(api::to_json(error)), "application/json");
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  // A throw outside a handler (handlers' own are caught in run_handler).
  http.set_exception_handler([](const httplib::Request&, httplib::Response& response,
                                std::exception_ptr) {
    write_json(response, error_response(api::server_error("Internal server error")), true);
  });

  // After the response is written, on the connection's thread; also for httplib's own errors.
  http.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
    notify_observers(request, response);
  });

  // Everything goes through serve(); httplib's per-method tables only decide whether it reads
  // the body itself (GET, OPTIONS: it does not) or hands us a reader (the methods with bodies).
  const std::string any_path = ".*";
  auto without_body = [this](const httplib::Request& request, httplib::Response& response) {
    serve(request, response, nullptr);
  };
  auto with_body = [this](const httplib::Request& request, httplib::Response& response,
                          const httplib::ContentReader& reader) {
    serve(request, response, &reader);
  };
  http.Get(any_path, without_body);
  http.Options(any_path, without_body);
  http.Post(any_path, with_body);
  http.Put(any_path, with_body);
  http.Patch(any_path, with_body);
  http.Delete(any_path, with_body);
}

void HttpServer::Impl::notify_observers(const httplib::Request& request,
                                        const httplib::Response& response) {
  const RequestContext context = current_request;
  current_request = RequestContext{};
  if (options.request_observers.empty()) return;
  CompletedRequest completed;
  completed.method = request.method;
  if (context.route != nullptr) completed.route = *context.route;
  completed.path = request.path;
  completed.status = response.status;
  if (context.started) completed.duration = std::chrono::steady_clock::now() - context.start;
  completed.remote_addr = request.remote_addr;
  completed.request_id = context.request_id;
  for (const RequestObserver& observer : options.request_observers) {
    // Observers are metrics and logs: a failure there must not cost the connection.
    try {
      observer(completed);
    } catch (...) {
    }
  }
}

api::ApiError HttpServer::Impl::error_for_httplib_status(const httplib::Request& request,
                                                        int status) const {
  switch (status) {
    case 404: return api::route_not_found(request.method, request.path);
    case 413: return api::body_too_large(options.max_body_bytes);
    case 500: return api::server_error("Internal server error");
    default: break;
  }
  std::string message = "Malformed HTTP request";
  if (status == 414) message = "The request URI is too long";
  if (status == 415) message = "Unsupported Content-Encoding";
  if (status == 416) message = "Invalid Range header";
  api::ApiError error = api::invalid_request("", std::move(message));
  error.status = status;
  return error;
}

BodyRead HttpServer::Impl::read_body(const httplib::Request& http_request,
                                     const httplib::ContentReader* body_reader, bool keep) const {
  BodyRead result;
  if (body_reader == nullptr) {
    // GET, HEAD and OPTIONS: httplib does not read a body they carry, so it is still in the
    // socket and the connection cannot serve another request.
    result.consumed = !declares_body(http_request);
    return result;
  }
  // RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has no body.
  // httplib would read until the client closes (right for responses, not for requests), which
  // holds a `curl -X POST` without data until the read timeout.
  if (!declares_body(http_request)) return result;
  const size_t max_bytes = options.max_body_bytes;
  const size_t drain_bytes = drain_limit_bytes();
  size_t received = 0;
  if (declared_content_length(http_request) > max_bytes) result.too_large = true;
  const bool complete = (*body_reader)([&](const char* data, size_t size) {
    received += size;  // after decompression: a gzip bomb hits the limit too
    if (received > max_bytes) {
      result.too_large = true;
      result.body.clear();
      return received <= drain_bytes;
    }
    if (keep && !result.too_large) result.body.append(data, size);
    return true;
  });
  if (!complete) {
    result.consumed = false;
    if (!result.too_large) result.read_failed = true;
  }
  if (result.too_large) result.body.clear();
  return result;
}

JsonResponse HttpServer::Impl::unavailable_response(Readiness readiness) const {
  const bool draining = readiness == Readiness::draining;
  api::ApiError error = api::unavailable(
      draining ? "The server is shutting down and accepts no new requests"
               : "The model is still loading; retry shortly");
  ExtraHeaders headers = {{"Retry-After", std::to_string(options.retry_after_seconds)}};
  // A client on a keep-alive connection to a draining server should reconnect (to another
  // replica behind the load balancer).
  if (draining) headers.emplace_back("Connection", "close");
  return error_response(error, std::move(headers));
}

std::optional<JsonResponse> HttpServer::Impl::reject_work_request(
    const httplib::Request& http_request, std::shared_ptr<InFlightToken>& token) {
  const std::string authorization = http_request.get_header_value("Authorization");
  std::optional<std::string_view> presented;
  if (http_request.has_header("Authorization")) presented = authorization;
  if (!auth.allows(presented)) {
    return error_response(api::invalid_api_key(), {{"WWW-Authenticate", "Bearer"}});
  }
  if (!tracker.try_enter()) return unavailable_response(tracker.readiness());
  token = std::make_shared<InFlightToken>(tracker);
  return std::nullopt;
}

void HttpServer::Impl::answer_preflight(const httplib::Request& http_request,
                                        httplib::Response& response,
                                        const std::string& allow) const {
  response.status = 204;
  response.set_header("Allow", allow);
  if (options.cors_allow_origin.empty()) return;
  response.set_header("Access-Control-Allow-Methods", allow);
  // Whatever the page asks to send (Authorization, Content-Type, the SDKs' X-Stainless-*).
  const std::string requested = http_request.get_header_value("Access-Control-Request-Headers");
  response.set_header("Access-Control-Allow-Headers",
                      requested.empty() ? "Authorization, Content-Type" : requested);
  response.set_header("Access-Control-Max-Age", "86400");
}

void HttpServer::Impl::serve(const httplib::Request& http_request, httplib::Response& response,
                             const httplib::ContentReader* body_reader) {
  const Router::Match match = router.match(http_request.method, http_request.path);
  if (match.route != nullptr) current_request.route = &match.route->pattern;

  std::optional<JsonResponse> rejection;
  std::shared_ptr<InFlightToken> token;  // set for work routes that passed the checks
  const bool preflight = http_request.method == "OPTIONS" && match.path_known;
  if (preflight) {
    // Answered below, after the body; browsers send preflights without credentials.
  } else if (!match.path_known) {
    rejection = error_response(api::route_not_found(http_request.method, http_request.path));
  } else if (match.route == nullptr) {
    rejection = error_response(api::method_not_allowed(http_request.method, http_request.path),
                               {{"Allow", router.allowed_methods(http_request.path)}});
  } else if (match.route->route_class == RouteClass::work) {
    rejection = reject_work_request(http_request, token);
  }

  // Read the body even for a rejected request (discarding it), so the client, which usually
  // sent it whole before reading, gets the answer rather than a reset connection.
  const bool runs_handler = !preflight && !rejection;
  BodyRead body = read_body(http_request, body_reader, runs_handler);
  const bool close_connection = !body.consumed;
  if (!rejection && body.too_large) {
    rejection = error_response(api::body_too_large(options.max_body_bytes));
  } else if (!rejection && body.read_failed) {
    rejection = error_response(api::invalid_request(
        "", "The request body ended early or its chunked encoding is malformed"));
  }
  if (rejection) {
    write_json(response, *rejection, close_connection);
    return;
  }
  if (preflight) {
    answer_preflight(http_request, response, router.allowed_methods(http_request.path));
    if (close_connection) response.set_header("Connection", "close");
    return;
  }

  Request request;
  request.method = http_request.method;
  request.path = http_request.path;
  request.path_params = match.path_params;
  request.body = std::move(body.body);
  request.remote_addr = http_request.remote_addr;
  auto connection = std::make_shared<ClientConnection>(
      http_request.remote_addr, http_request.remote_port, http_request.local_port);
  request.client_gone = [connection] { return connection->closed(); };
  for (const auto& [name, value] : http_request.headers) {
    if (is_httplib_pseudo_header(name)) continue;
    auto [it, inserted] = request.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  // Handlers see the id the access log and the response carry (the client's only when sane).
  if (!current_request.request_id.empty()) {
    request.headers["X-Request-Id"] = current_request.request_id;
  }
  run_handler(*match.route, std::move(request), response, std::move(token), close_connection);
}

void HttpServer::Impl::run_handler(const Route& route, Request request,
                                   httplib::Response& response,
                                   std::shared_ptr<InFlightToken> token, bool close_connection) {
  HandlerResult result;
  // Handlers are application code (the api and engine glue); a throw there must cost one
  // request, not the process, and must not unwind through httplib.
  try {
    result = route.handler(request);
  } catch (const std::exception& e) {
    result = error_response(api::server_error(fmt::format("Internal server error: {}", e.what())));
  } catch (...) {
    result = error_response(api::server_error("Internal server error"));
  }

  if (auto* json = std::get_if<JsonResponse>(&result)) {
    write_json(response, *json, close_connection);
  } else if (auto* raw = std::get_if<RawResponse>(&result)) {
    write_body(response, raw->status, raw->content_type, std::move(raw->body), raw->headers,
               close_connection);
  } else {
    auto& stream = std::get<std::shared_ptr<SseStream>>(result);
    if (!stream) {
      write_json(response, error_response(api::server_error("The handler returned no stream")),
                 close_connection);
      return;
    }
    // The stream stays in flight until httplib has written or abandoned it: the token moves
    // into the response.
    write_sse(response, std::move(stream),
              std::chrono::milliseconds(options.sse_keep_alive_interval_ms), std::move(token));
    if (close_connection) response.set_header("Connection", "close");
  }
}

// ---------------------------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->configure_httplib();
  Impl* impl = impl_.get();
  Status health = impl->router.add(
      "GET", "/health",
      [](const Request&) -> HandlerResult { return JsonResponse{200, {{"status", "ok"}}, {}}; },
      RouteClass::open);
  Status ready = impl->router.add(
      "GET", "/ready",
      [impl](const Request&) -> HandlerResult {
        const Readiness readiness = impl->tracker.readiness();
        if (readiness == Readiness::ready) return JsonResponse{200, {{"status", "ready"}}, {}};
        return impl->unavailable_response(readiness);
      },
      RouteClass::open);
  // Two fixed, well-formed routes on an empty table: cannot fail.
  assert(health.ok() && ready.ok());
  (void)health;
  (void)ready;
}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::route(std::string_view method, std::string_view pattern, Handler handler,
                         RouteClass route_class) {
  if (impl_->listener.joinable()) {
    return make_error("route {} {}: routes must be registered before start()", method, pattern);
  }
  return impl_->router.add(method, pattern, std::move(handler), route_class);
}

Status HttpServer::start() {
  Impl& impl = *impl_;
  if (impl.listener.joinable()) return make_error("the HTTP server is already running");
  if (!impl.options.tls_cert_file.empty() || !impl.options.tls_key_file.empty()) {
    QINFER_RETURN_IF_ERROR(check_tls_files(impl.options.tls_cert_file, impl.options.tls_key_file));
    if (!impl.http.is_valid()) {
      return make_error("TLS: OpenSSL refused the certificate {} or key {}",
                        impl.options.tls_cert_file, impl.options.tls_key_file);
    }
  }
  const std::string& host = impl.options.host;
  int port = -1;
  if (impl.options.port == 0) {
    port = impl.http.bind_to_any_port(host);
  } else if (impl.http.bind_to_port(host, impl.options.port)) {
    port = impl.options.port;
  }
  if (port <= 0) {
    return make_error("cannot listen on {}:{}: the port is in use or the address is not local",
                      host, impl.options.port);
  }
  if (impl.listen_socket >= 0) ::listen(impl.listen_socket, kListenBacklog);
  impl.bound_port = port;
  impl.listener_exited = false;
  impl.listener = std::thread([&impl] {
    impl.http.listen_after_bind();
    impl.listener_exited = true;
  });
  // stop() is a no-op until httplib marks itself running, which its listener thread does first
  // thing; wait for that so a stop() right after start() cannot be lost.
  while (!impl.http.is_running() && !impl.listener_exited) std::this_thread::yield();
  return ok_status();
}

void HttpServer::stop() {
  Impl& impl = *impl_;
  if (!impl.listener.joinable()) return;
  impl.http.stop();
  impl.listener.join();
  impl.bound_port = 0;
}

int HttpServer::port() const { return impl_->bound_port; }

void HttpServer::set_ready() { impl_->tracker.set_ready(); }

void HttpServer::begin_drain() { impl_->tracker.begin_drain(); }

Readiness HttpServer::readiness() const { return impl_->tracker.readiness(); }

size_t HttpServer::in_flight() const { return impl_->tracker.count(); }

bool HttpServer::wait_idle(std::chrono::milliseconds timeout) {
  return impl_->tracker.wait_idle(timeout);
}

}  // namespace qinfer::server
