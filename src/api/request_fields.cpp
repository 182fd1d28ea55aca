#include "api/request_fields.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace qinfer::api {

std::string field_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string_view json_type_phrase(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

ApiError wrong_type(const std::string& param, std::string_view expected, const Json& got) {
  return invalid_request(param, fmt::format("Invalid type for '{}': expected {}, but got {} instead.",
                                            param, expected, json_type_phrase(got)));
}

ApiError missing_field(const std::string& param) {
  return invalid_request(param, fmt::format("Missing required parameter: '{}'.", param));
}

std::optional<int64_t> integral_value(const Json& number) {
  if (number.is_number_unsigned()) {
    const uint64_t value = number.get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(value);
  }
  if (number.is_number_integer()) return number.get<int64_t>();
  if (number.is_number_float()) {
    const double value = number.get<double>();
    // 2^63 is the first double above int64's range; every double below it in magnitude converts.
    if (!std::isfinite(value) || value != std::floor(value) || std::abs(value) >= 0x1p63) {
      return std::nullopt;
    }
    return static_cast<int64_t>(value);
  }
  return std::nullopt;
}

const Json* FieldReader::find(std::string_view key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

MaybeApiError FieldReader::read_bool(std::string_view key, bool& out) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) return wrong_type(param(key), "a boolean", *value);
  out = value->get<bool>();
  return std::nullopt;
}

MaybeApiError FieldReader::read_string(std::string_view key, std::string& out) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_string()) return wrong_type(param(key), "a string", *value);
  out = value->get<std::string>();
  return std::nullopt;
}

MaybeApiError FieldReader::read_string(std::string_view key, std::optional<std::string>& out) const {
  std::string text;
  if (!find(key)) return std::nullopt;
  QINFER_API_RETURN_IF_ERROR(read_string(key, text));
  out = std::move(text);
  return std::nullopt;
}

MaybeApiError FieldReader::require_string(std::string_view key, std::string& out) const {
  if (!find(key)) return missing_field(param(key));
  return read_string(key, out);
}

MaybeApiError FieldReader::read_number(std::string_view key, const NumberRange& range,
                                       double& out) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_number()) return wrong_type(param(key), "a number", *value);
  const double number = value->get<double>();
  const bool above_min = range.min_exclusive ? number > range.min : number >= range.min;
  const bool below_max = range.max_exclusive ? number < range.max : number <= range.max;
  // A literal like 1e999 parses to infinity; no field accepts that.
  if (!(std::isfinite(number) && above_min && below_max)) {
    const std::string expected =
        std::isinf(range.max)
            ? fmt::format("a value {} {}", range.min_exclusive ? ">" : ">=", range.min)
            : fmt::format("a value in {}{}, {}{}", range.min_exclusive ? "(" : "[", range.min,
                          range.max, range.max_exclusive ? ")" : "]");
    return invalid_request(param(key), fmt::format("Invalid '{}': expected {}, but got {} instead.",
                                                   param(key), expected, value->dump()));
  }
  out = number;
  return std::nullopt;
}

ApiResult<std::optional<int64_t>> FieldReader::integer(std::string_view key, int64_t min,
                                                       int64_t max) const {
  const Json* value = find(key);
  if (!value) return std::optional<int64_t>();
  if (!value->is_number()) return wrong_type(param(key), "an integer", *value);
  const std::optional<int64_t> number = integral_value(*value);
  if (!number && value->is_number_float() &&
      std::floor(value->get<double>()) != value->get<double>()) {
    return wrong_type(param(key), "an integer", *value);
  }
  if (!number || *number < min || *number > max) {
    const std::string range = max == std::numeric_limits<int64_t>::max()
                                  ? fmt::format(">= {}", min)
                                  : fmt::format("in [{}, {}]", min, max);
    return invalid_request(param(key), fmt::format("Invalid '{}': expected an integer {}, but got {} instead.",
                                                   param(key), range, value->dump()));
  }
  return std::optional<int64_t>(*number);
}

MaybeApiError FieldReader::read_integer(std::string_view key, int64_t min, int64_t max,
                                        int64_t& out) const {
  auto number = integer(key, min, max);
  if (!number) return number.error();
  if (number.value()) out = *number.value();
  return std::nullopt;
}

MaybeApiError FieldReader::read_integer(std::string_view key, int64_t min, int64_t max,
                                        std::optional<int64_t>& out) const {
  auto number = integer(key, min, max);
  if (!number) return number.error();
  if (number.value()) out = number.value();
  return std::nullopt;
}

MaybeApiError FieldReader::read_object(std::string_view key, const Json*& out) const {
  const Json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_object()) return wrong_type(param(key), "an object", *value);
  out = value;
  return std::nullopt;
}

}  // namespace qinfer::api
