#include "api/openai_error.h"

#include <fmt/format.h>

#include <utility>

namespace qinfer::api {

ApiError invalid_request(std::string param, std::string message) {
  return ApiError{400, std::move(message), "invalid_request_error", std::move(param), ""};
}

ApiError context_length_exceeded(std::string message) {
  return ApiError{400, std::move(message), "invalid_request_error", "messages",
                  "context_length_exceeded"};
}

ApiError invalid_api_key() {
  return ApiError{401, "Incorrect or missing API key. Send it as 'Authorization: Bearer KEY'.",
                  "invalid_request_error", "", "invalid_api_key"};
}

ApiError model_not_found(const std::string& model) {
  return ApiError{404, fmt::format("The model '{}' does not exist", model),
                  "invalid_request_error", "model", "model_not_found"};
}

ApiError route_not_found(const std::string& method, const std::string& path) {
  return ApiError{404, fmt::format("Unknown route {} {}", method, path), "invalid_request_error",
                  "", "not_found"};
}

ApiError method_not_allowed(const std::string& method, const std::string& path) {
  return ApiError{405, fmt::format("Method {} is not allowed on {}", method, path),
                  "invalid_request_error", "", "method_not_allowed"};
}

ApiError body_too_large(size_t limit_bytes) {
  return ApiError{413, fmt::format("Request body is larger than the limit of {} bytes", limit_bytes),
                  "invalid_request_error", "", "request_too_large"};
}

ApiError overloaded(std::string message) {
  return ApiError{429, std::move(message), "rate_limit_error", "", "server_busy"};
}

ApiError unavailable(std::string message) {
  return ApiError{503, std::move(message), "server_error", "", "unavailable"};
}

ApiError server_error(std::string message) {
  return ApiError{500, std::move(message), "server_error", "", ""};
}

nlohmann::ordered_json to_json(const ApiError& error) {
  auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
  };
  return {{"error",
           {{"message", error.message},
            {"type", error.type},
            {"param", or_null(error.param)},
            {"code", or_null(error.code)}}}};
}

}  // namespace qinfer::api
