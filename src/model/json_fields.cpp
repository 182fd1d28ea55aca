#include "model/json_fields.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace qinfer::json_fields {

Expected<nlohmann::json> parse(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return make_error("{}: not valid JSON: {}", source, e.what());
  }
}

std::optional<int64_t> as_int(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return value.get<int64_t>();
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    // 2^63 is exactly representable; anything at or past it does not fit int64.
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

Expected<std::optional<int64_t>> optional_int(const nlohmann::json& object, const char* field,
                                              const std::string& source) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<int64_t>();
  auto value = as_int(*it);
  if (!value) return make_error("{}: field '{}' must be an integer, got {}", source, field, it->dump());
  return std::optional<int64_t>(*value);
}

Expected<int64_t> required_int(const nlohmann::json& object, const char* field,
                               const std::string& source) {
  QINFER_ASSIGN_OR_RETURN(auto value, optional_int(object, field, source));
  if (!value) return make_error("{}: required field '{}' is missing", source, field);
  return *value;
}

Expected<std::optional<double>> optional_number(const nlohmann::json& object, const char* field,
                                                const std::string& source) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) {
    return make_error("{}: field '{}' must be a number, got {}", source, field, it->dump());
  }
  double value = it->get<double>();
  if (!std::isfinite(value)) return make_error("{}: field '{}' is not finite", source, field);
  return std::optional<double>(value);
}

Expected<std::optional<bool>> optional_bool(const nlohmann::json& object, const char* field,
                                            const std::string& source) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return make_error("{}: field '{}' must be true or false, got {}", source, field, it->dump());
  }
  return std::optional<bool>(it->get<bool>());
}

Expected<std::optional<std::string>> optional_string(const nlohmann::json& object,
                                                     const char* field, const std::string& source) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return make_error("{}: field '{}' must be a string, got {}", source, field, it->dump());
  }
  return std::optional<std::string>(it->get<std::string>());
}

Expected<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("{}: cannot open: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("{}: read error", path);
  return text.str();
}

}  // namespace qinfer::json_fields
