// Typed reads of one field of a request object, each failing with a 400 whose `param` is the
// field's JSON path ("temperature", "messages[1].content", "tools[0].function.name") and whose
// message says what was expected and what came, in OpenAI's wording ("Invalid type for
// 'temperature': expected a number, but got a string instead.").
//
// A field that is absent or null is "not given" (pydantic's Optional, as vLLM reads requests):
// the reader succeeds and leaves `out` as it was, so the caller's default stands.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "api/api_result.h"

namespace qinfer::api {

// ordered_json keeps the client's key order: the chat template prints tools with tojson, and the
// prompt must be the one transformers renders from the same request.
using Json = nlohmann::ordered_json;

// "" + "temperature" -> "temperature"; "messages[1]" + "content" -> "messages[1].content".
std::string field_path(std::string_view parent, std::string_view key);
// "messages" + 1 -> "messages[1]".
std::string index_path(std::string_view parent, size_t index);

// "a string", "a number", "an object", "an array", "a boolean", "null".
std::string_view json_type_phrase(const Json& value);

ApiError wrong_type(const std::string& param, std::string_view expected, const Json& got);
ApiError missing_field(const std::string& param);

struct NumberRange {
  double min = 0.0;
  double max = 0.0;
  bool min_exclusive = false;
  bool max_exclusive = false;
};

class FieldReader {
 public:
  // `object` must be a JSON object and outlive the reader; `path` is its own JSON path.
  FieldReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  // The field's value, or nullptr when it is absent or null.
  const Json* find(std::string_view key) const;
  std::string param(std::string_view key) const { return field_path(path_, key); }
  const std::string& path() const { return path_; }

  MaybeApiError read_bool(std::string_view key, bool& out) const;
  MaybeApiError read_string(std::string_view key, std::string& out) const;
  MaybeApiError read_string(std::string_view key, std::optional<std::string>& out) const;
  MaybeApiError require_string(std::string_view key, std::string& out) const;
  MaybeApiError read_number(std::string_view key, const NumberRange& range, double& out) const;
  // Integers in [min, max]; a float with an integral value (1.0) counts, as pydantic's lax mode.
  MaybeApiError read_integer(std::string_view key, int64_t min, int64_t max, int64_t& out) const;
  MaybeApiError read_integer(std::string_view key, int64_t min, int64_t max,
                             std::optional<int64_t>& out) const;
  // An object (any content); `out` points into the request.
  MaybeApiError read_object(std::string_view key, const Json*& out) const;

 private:
  ApiResult<std::optional<int64_t>> integer(std::string_view key, int64_t min, int64_t max) const;

  const Json& object_;
  std::string path_;
};

// The value of an integral JSON number as int64, or nullopt for a fraction, a non-finite value or
// one outside int64 (nlohmann stores integers as int64, uint64 or, from some encoders, double).
std::optional<int64_t> integral_value(const Json& number);

}  // namespace qinfer::api
