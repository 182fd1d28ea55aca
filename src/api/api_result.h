// Results of the api stage: a value or the ApiError the server sends back as it is. Like
// base/Expected, but the error already carries the HTTP status and the OpenAI error fields, so
// that nothing between a validator and the HTTP layer has to translate it.
#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "api/openai_error.h"

namespace qinfer::api {

template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : state_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : state_(std::move(error)) {}     // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(state_); }
  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const ApiError& error() const { assert(!ok()); return std::get<ApiError>(state_); }

 private:
  std::variant<T, ApiError> state_;
};

// A check that yields nothing: an error, or none.
using MaybeApiError = std::optional<ApiError>;

}  // namespace qinfer::api

// Returns the error of an expression yielding MaybeApiError, if any.
#define QINFER_API_RETURN_IF_ERROR(expr)                                   \
  do {                                                                     \
    if (::qinfer::api::MaybeApiError qinfer_api_error_ = (expr)) {         \
      return *std::move(qinfer_api_error_);                                \
    }                                                                      \
  } while (0)
