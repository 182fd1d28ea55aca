// Bridges between JSON and template values: request JSON in (order preserved, ints stay ints), and
// Python's json.dumps out, which is what transformers' `tojson` filter calls.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "chat/jinja/value.h"

namespace qinfer::jinja {

// Nesting deeper than this is rejected instead of recursing without bound.
inline constexpr int kMaxJsonDepth = 256;

// Throws TemplateError on nesting deeper than kMaxJsonDepth.
Value value_from_json(const nlohmann::ordered_json& json);

struct JsonDumpOptions {
  std::optional<std::string> indent;  // json.dumps(indent=...): absent = one line
  std::string item_separator = ", ";  // defaults as json.dumps picks them (", " or "," with indent)
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;  // transformers passes False
};

// Python json.dumps(value, ensure_ascii, indent, separators, sort_keys), byte for byte.
// Throws TemplateError for values JSON cannot hold (Undefined, callables, namespaces).
std::string dump_json(const Value& value, const JsonDumpOptions& options);

}  // namespace qinfer::jinja
