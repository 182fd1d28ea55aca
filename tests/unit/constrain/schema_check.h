// An independent checker of JSON values against the supported JSON Schema subset, written
// straight from the specification's wording (not from the grammar compiler), for the
// generation tests. Returns "" when valid, else why not.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace qinfer::constrain::testing {

using Json = nlohmann::ordered_json;

inline size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

inline bool type_matches(const Json& v, const std::string& t) {
  if (t == "string") return v.is_string();
  if (t == "number") return v.is_number();
  if (t == "integer") return v.is_number_integer();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  return false;
}

inline std::string check_schema(const Json& v, const Json& schema, const Json& root) {
  if (schema.is_boolean()) return schema.get<bool>() ? "" : "false schema";
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"];
    const Json& target = ref == "#" ? root : root.at(Json::json_pointer(ref.substr(1)));
    return check_schema(v, target, root);
  }
  if (schema.contains("type")) {
    const Json& t = schema["type"];
    bool ok = false;
    if (t.is_string()) ok = type_matches(v, t);
    for (const Json& x : t.is_array() ? t : Json::array()) ok = ok || type_matches(v, x);
    if (!ok) return "type " + t.dump() + " vs " + v.dump();
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const Json& e : schema["enum"]) found = found || e == v;
    if (!found) return "not in enum: " + v.dump();
  }
  if (schema.contains("const") && schema["const"] != v) return "not const: " + v.dump();
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key)) continue;
    int matched = 0;
    for (const Json& s : schema[key]) matched += check_schema(v, s, root).empty();
    if (matched == 0 || (std::string(key) == "oneOf" && matched > 1)) {
      return std::string(key) + " matched " + std::to_string(matched) + ": " + v.dump();
    }
  }
  if (schema.contains("allOf")) {
    for (const Json& s : schema["allOf"]) {
      const std::string why = check_schema(v, s, root);
      if (!why.empty()) return why;
    }
  }
  if (v.is_string()) {
    const size_t n = utf8_length(v.get<std::string>());
    if (schema.contains("minLength") && n < schema["minLength"].get<size_t>()) return "too short";
    if (schema.contains("maxLength") && n > schema["maxLength"].get<size_t>()) return "too long";
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>()) return "few";
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>()) return "many";
    if (schema.contains("items")) {
      for (const Json& item : v) {
        const std::string why = check_schema(item, schema["items"], root);
        if (!why.empty()) return "item: " + why;
      }
    }
  }
  if (v.is_object()) {
    const Json properties = schema.value("properties", Json::object());
    for (const Json& name : schema.value("required", Json::array())) {
      if (!v.contains(name.get<std::string>())) return "missing " + name.get<std::string>();
    }
    for (const auto& [key, value] : v.items()) {
      std::string why;
      if (properties.contains(key)) {
        why = check_schema(value, properties[key], root);
      } else if (schema.contains("additionalProperties")) {
        why = check_schema(value, schema["additionalProperties"], root);
      }
      if (!why.empty()) return "property " + key + ": " + why;
    }
  }
  return "";
}

inline size_t count_keys(const Json& v) {
  size_t n = v.is_object() ? v.size() : 0;
  if (v.is_structured()) {
    for (const Json& child : v) n += count_keys(child);
  }
  return n;
}

// Parses `text` strictly (nlohmann rejects invalid UTF-8 and trailing bytes) and checks it.
// Duplicate keys are an error: parsers disagree on which one wins.
inline std::string check_document(const std::string& text, const Json& schema) {
  Json value;
  size_t key_events = 0;
  try {
    value = Json::parse(text, [&](int, Json::parse_event_t event, Json&) {
      key_events += event == Json::parse_event_t::key;
      return true;
    });
  } catch (const std::exception& e) {
    return std::string("does not parse: ") + e.what();
  }
  if (key_events != count_keys(value)) return "duplicate key";
  return check_schema(value, schema, schema);
}

}  // namespace qinfer::constrain::testing
