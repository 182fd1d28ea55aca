// What a route handler sees and returns: a parsed request (no httplib types, so the api and cli
// stages never include httplib.h) and either one JSON response, a non-JSON body (the web page,
// Prometheus text) or an SSE stream fed from another thread.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/openai_error.h"
#include "api/request_fields.h"

namespace qinfer::server {

class SseStream;

// HTTP field names are case-insensitive (RFC 9110 5.1); transparent so that lookups take a
// string_view without building a std::string.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// Repeated fields are joined with ", " as RFC 9110 5.3 allows, so one lookup sees them all.
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method;  // as sent; a HEAD request is routed to the GET handler with method "HEAD"
  std::string path;    // percent-decoded, without the query string
  std::map<std::string, std::string> path_params;  // "/v1/models/{id}" -> {"id": ...}
  Headers headers;
  std::string body;  // at most HttpServerOptions::max_body_bytes
  std::string remote_addr;
  // True once the client has closed its connection (server/client_connection.h); empty when
  // the request did not come from a connection (tests calling handlers directly).
  std::function<bool()> client_gone;

  // nullopt when the request has no such field.
  std::optional<std::string_view> header(std::string_view name) const;
  // "" when the route pattern has no such parameter.
  std::string_view path_param(std::string_view name) const;
};

using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;

struct JsonResponse {
  int status = 200;
  api::Json body;
  ExtraHeaders headers;
};

// A body that is not JSON: the chat page at "/", Prometheus exposition at "/metrics".
struct RawResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  ExtraHeaders headers;
};

// The handler's answer. A stream is written as `text/event-stream` while its producer pushes
// events; a handler that fails before the first event returns a JsonResponse instead.
using HandlerResult = std::variant<JsonResponse, RawResponse, std::shared_ptr<SseStream>>;

// Called on an HTTP worker thread. May throw: the server answers 500 and keeps serving.
using Handler = std::function<HandlerResult(const Request&)>;

// The OpenAI error body with the error's status; extra headers (Retry-After, Allow) optional.
JsonResponse error_response(const api::ApiError& error, ExtraHeaders headers = {});

// Parses a JSON request body. Malformed JSON and invalid UTF-8 (nlohmann's parser rejects
// ill-formed byte sequences and unpaired surrogate escapes) give a 400 whose message says where.
std::variant<api::Json, api::ApiError> parse_json_body(const Request& request);

// Serializes a response body. Invalid UTF-8 inside strings (a handler echoing raw bytes) is
// replaced by U+FFFD instead of throwing, so a response can always be written.
std::string dump_json(const api::Json& value);

}  // namespace qinfer::server
