// The HTTP layer of `qinfer serve`: an OpenAI-style JSON API over cpp-httplib's threaded server.
//
//   server.route("POST", "/v1/chat/completions", handler);   // before start()
//   server.start();            // binds; /health answers at once, work routes 503 (loading)
//   ... load the model ...
//   server.set_ready();        // /ready 200, work routes served
//   ... SIGTERM ...
//   server.begin_drain();      // /ready 503, new work 503 + Retry-After, in-flight continues
//   server.wait_idle(drain_timeout);
//   server.stop();
//
// What every request goes through, in order: a declared Content-Length beyond what may be
// drained is refused at once (413, the body is never read); route lookup (404, or 405 with an
// Allow header; OPTIONS answers CORS preflights); for work routes the API key (401) and
// readiness (503); the body is read up to max_body_bytes (413 beyond); the handler. Every
// response is JSON in OpenAI's error shape when it is an error, the ones httplib produces on its
// own (malformed request line, bad Range) included. A handler that throws gets a 500; the server
// keeps serving.
//
// Threads: httplib serves each connection on one pool thread from its first byte to its close,
// so a connection — an SSE stream for its whole generation, an idle keep-alive connection until
// keep_alive_timeout_seconds — holds a thread. Size http_threads well above the engine's
// parallel slots. A stalled client is dropped after read_timeout_ms without a byte (per read,
// not per request: httplib 0.11 has no whole-request deadline).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "server/http_message.h"
#include "server/router.h"
#include "server/sse_stream.h"

namespace qinfer::server {

// One request as it ended, for metrics and access logs.
struct CompletedRequest {
  std::string method;
  std::string route;  // the registered pattern ("/v1/models/{id}"); "" if none matched
  std::string path;
  int status = 0;
  // From the end of the request's headers to the end of its response (a stream's last frame).
  // Zero for requests httplib refused before they could be parsed.
  std::chrono::steady_clock::duration duration{};
  std::string remote_addr;
  // The request's X-Request-Id (a sane one from the client, else generated), echoed as a response
  // header; empty for requests httplib refused before they could be parsed.
  std::string request_id;
};
using RequestObserver = std::function<void(const CompletedRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0: any free port; HttpServer::port() tells which
  std::vector<std::string> api_keys;  // empty: no authentication
  size_t max_body_bytes = size_t{8} << 20;
  int http_threads = 32;                    // see the header comment
  int read_timeout_ms = 15000;              // per read from a client
  int write_timeout_ms = 15000;             // per write to a client (one that stopped reading)
  int keep_alive_timeout_seconds = 5;       // an idle keep-alive connection is closed after this
  int keep_alive_max_requests = 100;        // requests per connection before it is closed
  // An SSE comment (": keep-alive") goes out when a stream has been silent this long (a long
  // prefill), so proxies with an idle timeout (nginx: 60 s) do not cut it. <= 0: never.
  int sse_keep_alive_interval_ms = 10000;
  int retry_after_seconds = 5;          // the Retry-After of 503s while loading or draining
  std::string cors_allow_origin = "*";  // Access-Control-Allow-Origin; empty: no CORS headers
  // PEM certificate chain and private key: both set serves HTTPS only (a plain-HTTP client's
  // connection fails its handshake and is closed); both empty serves HTTP. start() checks them.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Called once per request after its response was written (streams: after the last frame), on
  // the connection's thread, so they should be quick; every response counts, the server's own
  // refusals (404, 413, malformed requests) included. An observer that throws is ignored.
  std::vector<RequestObserver> request_observers;
};

enum class Readiness { loading, ready, draining };

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers a handler for `method` (GET, POST, PUT, PATCH, DELETE) and `pattern` (see
  // router.h: "/v1/models/{id}"). Only before start(): the table is then read without locks.
  // GET /health and GET /ready are built in.
  Status route(std::string_view method, std::string_view pattern, Handler handler,
               RouteClass route_class = RouteClass::work);

  // Binds host:port and starts serving on a background thread. Errors: the address cannot be
  // bound (port taken: the socket is bound without SO_REUSEPORT, so a second server cannot
  // share it), or start() was called before.
  Status start();
  // Closes the listening socket, cancels open SSE streams and waits for the worker threads:
  // a connection idle in keep-alive or stalled in a read holds stop() until that wait ends
  // (keep_alive_timeout_seconds, read_timeout_ms; httplib cannot interrupt it). Idempotent.
  void stop();
  // The bound port (the kernel's choice for port 0); 0 before start().
  int port() const;

  // loading -> ready. Does nothing while draining.
  void set_ready();
  // -> draining, for good: /ready answers 503, new requests on work routes 503 + Retry-After,
  // requests and streams already in flight run to their end.
  void begin_drain();
  Readiness readiness() const;

  // Requests on work routes between the readiness check and the end of their response: a
  // stream counts until its last frame is written or it is cancelled.
  size_t in_flight() const;
  // Waits until in_flight() is 0 or `timeout` passed; true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qinfer::server
