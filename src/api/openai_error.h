// Errors as the OpenAI API returns them: an HTTP status and
//   {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}
// so that the official SDKs raise their typed exceptions (BadRequestError, AuthenticationError,
// NotFoundError, RateLimitError, ...). A client's mistake is always 4xx and names the field at
// fault in `param` (JSON-path style: "messages[2].content"); 5xx is reserved for our own faults.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace qinfer::api {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty -> null
  std::string code;   // empty -> null
};

// 400: a field is missing, has the wrong type or an out-of-range value.
ApiError invalid_request(std::string param, std::string message);
// 400 with code context_length_exceeded: prompt + max_tokens do not fit the context.
ApiError context_length_exceeded(std::string message);
// 401: an API key is configured and the request's is missing or wrong.
ApiError invalid_api_key();
// 404: the model named in the request (or the path) does not exist.
ApiError model_not_found(const std::string& model);
ApiError route_not_found(const std::string& method, const std::string& path);
// 405: the path exists but not with this method.
ApiError method_not_allowed(const std::string& method, const std::string& path);
// 413: the body is larger than --max-body.
ApiError body_too_large(size_t limit_bytes);
// 429: every slot is busy and the queue is full; 503: loading or draining.
ApiError overloaded(std::string message);
ApiError unavailable(std::string message);
// 500: a fault of ours (a failing forward pass); the message says what failed.
ApiError server_error(std::string message);

nlohmann::ordered_json to_json(const ApiError& error);

}  // namespace qinfer::api
