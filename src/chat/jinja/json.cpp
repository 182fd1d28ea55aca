#include "chat/jinja/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chat/jinja/error.h"
#include "chat/jinja/py_string.h"

namespace qinfer::jinja {

static Value from_json_at(const nlohmann::ordered_json& json, int depth) {
  if (depth > kMaxJsonDepth) {
    throw TemplateError("input JSON is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  switch (json.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value(json.get<bool>());
    case nlohmann::json::value_t::number_integer: return Value(json.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = json.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value(json.get<double>());
    case nlohmann::json::value_t::string: return Value(json.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(from_json_at(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Dict dict;
      dict.entries.reserve(json.size());
      // JSON objects from a parser have unique keys, so append without the lookup.
      for (const auto& [key, item] : json.items()) dict.entries.emplace_back(Value(key), from_json_at(item, depth + 1));
      return Value::dict(std::move(dict));
    }
    default: throw TemplateError("unsupported JSON value (binary)");
  }
}

Value value_from_json(const nlohmann::ordered_json& json) { return from_json_at(json, 0); }

// json.encoder.py_encode_basestring(_ascii): escapes the quote, the backslash and control
// characters; with ensure_ascii also every non-ASCII code point (as UTF-16 surrogate pairs).
static void append_json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out.push_back('"');
  auto append_u = [&out](unsigned unit) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "\\u%04x", unit);
    out += hex;
  };
  for (char32_t cp : py::decode_utf8(s)) {
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (cp < 0x20 || (ensure_ascii && cp == 0x7F)) {
          append_u(cp);
        } else if (ensure_ascii && cp > 0x7F) {
          if (cp >= 0x10000) {
            const char32_t v = cp - 0x10000;
            append_u(0xD800 | (v >> 10));
            append_u(0xDC00 | (v & 0x3FF));
          } else {
            append_u(cp);
          }
        } else {
          py::append_utf8(out, cp);
        }
    }
  }
  out.push_back('"');
}

static std::string json_float(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
  return python_float_repr(f);
}

// A dict key as json.dumps coerces it: str as is, numbers/bools/None to their JSON spelling.
static std::string json_key(const Value& key) {
  switch (key.kind()) {
    case Value::Kind::kString: return key.as_string();
    case Value::Kind::kBool: return key.as_bool() ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(key.as_int());
    case Value::Kind::kFloat: return json_float(key.as_float());
    case Value::Kind::kNone: return "null";
    default: throw TemplateError("keys must be str, int, float, bool or None, not " + key.type_name());
  }
}

static void dump_at(std::string& out, const Value& value, const JsonDumpOptions& options, int level) {
  if (level > kMaxJsonDepth) throw TemplateError("tojson: value is nested too deeply");
  auto newline = [&](int at_level) {
    if (!options.indent) return;
    out.push_back('\n');
    for (int i = 0; i < at_level; ++i) out += *options.indent;
  };
  switch (value.kind()) {
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += value.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(value.as_int()); return;
    case Value::Kind::kFloat: out += json_float(value.as_float()); return;
    case Value::Kind::kString: append_json_string(out, value.as_string(), options.ensure_ascii); return;
    case Value::Kind::kList: {
      const auto& items = value.as_list().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += options.item_separator;
        newline(level + 1);
        dump_at(out, items[i], options, level + 1);
      }
      newline(level);
      out.push_back(']');
      return;
    }
    case Value::Kind::kDict: {
      std::vector<const std::pair<Value, Value>*> entries;
      for (const auto& entry : value.as_dict().entries) entries.push_back(&entry);
      if (entries.empty()) {
        out += "{}";
        return;
      }
      if (options.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
          return compare_values(a->first, b->first) < 0;
        });
      }
      out.push_back('{');
      bool first = true;
      for (const auto* entry : entries) {
        if (!first) out += options.item_separator;
        first = false;
        newline(level + 1);
        append_json_string(out, json_key(entry->first), options.ensure_ascii);
        out += options.key_separator;
        dump_at(out, entry->second, options, level + 1);
      }
      newline(level);
      out.push_back('}');
      return;
    }
    default:
      throw TemplateError("Object of type " + value.type_name() + " is not JSON serializable");
  }
}

std::string dump_json(const Value& value, const JsonDumpOptions& options) {
  std::string out;
  dump_at(out, value, options, 0);
  return out;
}

}  // namespace qinfer::jinja
