// Errors are values: every fallible function returns Expected<T> (or Status = Expected<void>),
// whose Error carries one message naming the file, field or tensor at fault. Exceptions never
// cross a module boundary.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace qinfer {

struct Error {
  std::string message;
};

template <class... Args>
Error make_error(fmt::format_string<Args...> format, Args&&... args) {
  return Error{fmt::format(format, std::forward<Args>(args)...)};
}

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(state_); }
  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Expected<void>;

inline Status ok_status() { return Status(); }

}  // namespace qinfer

// Propagates an error from an expression returning Expected<...> or Status.
#define QINFER_RETURN_IF_ERROR(expr)              \
  do {                                            \
    auto qinfer_status_ = (expr);                 \
    if (!qinfer_status_.ok()) return qinfer_status_.error(); \
  } while (0)

// Binds the value of an Expected<T> expression to `lhs`, or returns its error.
#define QINFER_CONCAT_INNER_(a, b) a##b
#define QINFER_CONCAT_(a, b) QINFER_CONCAT_INNER_(a, b)
#define QINFER_ASSIGN_OR_RETURN(lhs, expr) \
  QINFER_ASSIGN_OR_RETURN_IMPL_(QINFER_CONCAT_(qinfer_expected_, __LINE__), lhs, expr)
#define QINFER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.error();                  \
  lhs = std::move(tmp).value()
