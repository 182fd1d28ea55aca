// Attribute access and the methods of str, dict and list that templates call, e.g.
// message.content.split('</think>'), tool.get('function'), d.items().
#include <fmt/format.h>

#include <algorithm>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/py_string.h"

namespace qinfer::jinja {
namespace {

// jinja2's object_type_repr: "None", "dict object", "str object", ...
std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  return v.type_name() + " object";
}

Value missing_attribute(const Value& object, const std::string& name) {
  return Value::undefined(fmt::format("'{}' has no attribute '{}'", object_type_repr(object), name));
}

std::optional<std::string> optional_string(const BoundArgs& args, size_t index, const char* what) {
  const Value* v = args.get(index);
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_string()) throw TemplateError(std::string(what) + " arg must be None or str");
  return v->as_string();
}

const std::string& string_arg(const BoundArgs& args, size_t index, const char* function) {
  const Value& v = args.required(index);
  if (!v.is_string()) {
    throw TemplateError(std::string(function) + "() argument must be str, not " + v.type_name());
  }
  return v.as_string();
}

int64_t int_arg(const BoundArgs& args, size_t index, int64_t fallback) {
  const Value* v = args.get(index);
  if (!v || v->is_none()) return fallback;
  if (!v->is_int() && !v->is_bool()) throw TemplateError("an integer argument is required, got " + v->type_name());
  return v->as_int();
}

// str.startswith/endswith: the affix may be a tuple of alternatives; start/end slice first.
bool affix_match(const std::string& s, const BoundArgs& args, bool at_start, const char* function) {
  std::string text = s;
  if (args.get(1) || args.get(2)) {
    const std::u32string cps = py::decode_utf8(s);
    std::optional<int64_t> start;
    std::optional<int64_t> end;
    if (args.get(1) && !args.get(1)->is_none()) start = int_arg(args, 1, 0);
    if (args.get(2) && !args.get(2)->is_none()) end = int_arg(args, 2, 0);
    std::u32string picked;
    for (int64_t i : py::slice_indices(static_cast<int64_t>(cps.size()), start, end, std::nullopt)) picked.push_back(cps[i]);
    text = py::encode_utf8(picked);
  }
  const Value& affix = args.required(0);
  std::vector<Value> options;
  if (affix.is_list() && affix.as_list().is_tuple) {
    options = affix.as_list().items;
  } else {
    options.push_back(affix);
  }
  for (const auto& option : options) {
    if (!option.is_string()) {
      throw TemplateError(std::string(function) + " first arg must be str or a tuple of str, not " + option.type_name());
    }
    const std::string& a = option.as_string();
    if (a.size() > text.size()) continue;
    if (at_start ? text.compare(0, a.size(), a) == 0 : text.compare(text.size() - a.size(), a.size(), a) == 0) {
      return true;
    }
  }
  return false;
}

Value string_list(const std::vector<std::string>& parts) {
  std::vector<Value> items(parts.begin(), parts.end());
  return Value::list(std::move(items));
}

// str.format with positional {} / {0} and named {name} fields and !s / !r conversions.
std::string format_string(const std::string& pattern, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '}') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '}') ++i;
      else throw TemplateError("format(): single '}' encountered in format string");
      out.push_back('}');
      continue;
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) throw TemplateError("format(): single '{' encountered in format string");
    std::string field = pattern.substr(i + 1, close - i - 1);
    i = close;
    char conversion = 's';
    if (const size_t bang = field.find('!'); bang != std::string::npos) {
      conversion = bang + 1 < field.size() ? field[bang + 1] : 's';
      field.erase(bang);
    }
    if (field.find(':') != std::string::npos) throw TemplateError("format(): format specs are not supported");
    const Value* value = nullptr;
    if (field.empty()) {
      if (auto_index >= args.positional.size()) throw TemplateError("format(): replacement index out of range");
      value = &args.positional[auto_index++];
    } else if (std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      const size_t index = std::stoul(field);
      if (index >= args.positional.size()) throw TemplateError("format(): replacement index out of range");
      value = &args.positional[index];
    } else {
      for (const auto& [key, v] : args.keyword) {
        if (key == field) value = &v;
      }
      if (!value) throw TemplateError("format(): no argument named '" + field + "'");
    }
    out += conversion == 'r' ? value->repr() : value->str();
  }
  return out;
}

bool all_code_points(const std::string& s, bool (*predicate)(char32_t)) {
  if (s.empty()) return false;
  for (char32_t cp : py::decode_utf8(s)) {
    if (!predicate(cp)) return false;
  }
  return true;
}

Value pad(const std::string& s, const BoundArgs& args, char where) {
  const int64_t width = int_arg(args, 0, 0);
  std::string fill = " ";
  if (const Value* f = args.get(1)) {
    if (!f->is_string() || py::length(f->as_string()) != 1) throw TemplateError("the fill character must be exactly one character long");
    fill = f->as_string();
  }
  const int64_t missing = width - py::length(s);
  if (missing <= 0) return Value(s);
  auto repeat = [&fill](int64_t n) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += fill;
    return out;
  };
  if (where == 'l') return Value(s + repeat(missing));
  if (where == 'r') return Value(repeat(missing) + s);
  // CPython's pad(): the odd extra fill character goes left only when both the padding and the
  // width are odd.
  const int64_t left = missing / 2 + (missing & width & 1);
  return Value(repeat(left) + s + repeat(missing - left));
}

Value string_method(const std::string& s, const std::string& name, CallArgs& call) {
  const std::string fn = "str." + name;
  if (name == "format") return Value(format_string(s, call));
  if (name == "startswith" || name == "endswith") {
    BoundArgs args(fn, call, {"prefix", "start", "end"});
    return Value(affix_match(s, args, name == "startswith", fn.c_str()));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    BoundArgs args(fn, call, {"chars"});
    return Value(py::strip(s, optional_string(args, 0, "strip"), name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    BoundArgs args(fn, call, {"sep", "maxsplit"});
    const auto sep = optional_string(args, 0, "sep");
    const int64_t maxsplit = int_arg(args, 1, -1);
    return string_list(name == "split" ? py::split(s, sep, maxsplit) : py::rsplit(s, sep, maxsplit));
  }
  if (name == "splitlines") {
    BoundArgs args(fn, call, {"keepends"});
    std::vector<std::string> lines;
    std::string current;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n' || s[i] == '\r') {
        std::string end(1, s[i]);
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') end += s[++i];
        lines.push_back(args.flag(0, false) ? current + end : current);
        current.clear();
      } else {
        current.push_back(s[i]);
      }
    }
    if (!current.empty()) lines.push_back(current);
    return string_list(lines);
  }
  if (name == "replace") {
    BoundArgs args(fn, call, {"old", "new", "count"});
    return Value(py::replace(s, string_arg(args, 0, "replace"), string_arg(args, 1, "replace"), int_arg(args, 2, -1)));
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" || name == "swapcase" ||
      name == "casefold") {
    BoundArgs args(fn, call, {});
    if (name == "upper") return Value(py::upper(s));
    if (name == "title") return Value(py::title(s));
    if (name == "capitalize") return Value(py::capitalize(s));
    if (name == "swapcase") return Value(py::swapcase(s));
    return Value(py::lower(s));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    BoundArgs args(fn, call, {"sub"});
    const std::string& sub = string_arg(args, 0, name.c_str());
    if (name == "count") return Value(py::count(s, sub));
    const int64_t at = (name == "find" || name == "index") ? py::find(s, sub) : py::rfind(s, sub);
    if (at < 0 && (name == "index" || name == "rindex")) throw TemplateError("substring not found");
    return Value(at);
  }
  if (name == "join") {
    BoundArgs args(fn, call, {"iterable"});
    std::string out;
    bool first = true;
    size_t index = 0;
    for (const auto& item : iterate(args.required(0))) {
      if (!item.is_string()) {
        throw TemplateError("sequence item " + std::to_string(index) + ": expected str instance, " + item.type_name() + " found");
      }
      if (!first) out += s;
      first = false;
      out += item.as_string();
      ++index;
    }
    return Value(std::move(out));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    BoundArgs args(fn, call, {"affix"});
    const std::string& affix = string_arg(args, 0, name.c_str());
    if (name == "removeprefix" && s.compare(0, affix.size(), affix) == 0) return Value(s.substr(affix.size()));
    if (name == "removesuffix" && !affix.empty() && s.size() >= affix.size() &&
        s.compare(s.size() - affix.size(), affix.size(), affix) == 0) {
      return Value(s.substr(0, s.size() - affix.size()));
    }
    return Value(s);
  }
  if (name == "partition" || name == "rpartition") {
    BoundArgs args(fn, call, {"sep"});
    const std::string& sep = string_arg(args, 0, name.c_str());
    if (sep.empty()) throw TemplateError("empty separator");
    const size_t at = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (at == std::string::npos) {
      return name == "partition" ? Value::tuple({Value(s), Value(""), Value("")}) : Value::tuple({Value(""), Value(""), Value(s)});
    }
    return Value::tuple({Value(s.substr(0, at)), Value(sep), Value(s.substr(at + sep.size()))});
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    BoundArgs args(fn, call, {"width", "fillchar"});
    return pad(s, args, name == "ljust" ? 'l' : name == "rjust" ? 'r' : 'c');
  }
  if (name == "zfill") {
    BoundArgs args(fn, call, {"width"});
    const int64_t missing = int_arg(args, 0, 0) - py::length(s);
    if (missing <= 0) return Value(s);
    const bool sign = !s.empty() && (s[0] == '-' || s[0] == '+');
    return Value((sign ? s.substr(0, 1) : "") + std::string(missing, '0') + (sign ? s.substr(1) : s));
  }
  BoundArgs args(fn, call, {});
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
    return Value(all_code_points(s, [](char32_t c) { return c >= '0' && c <= '9'; }));
  }
  if (name == "isalpha") {
    return Value(all_code_points(s, [](char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c > 0x7F; }));
  }
  if (name == "isalnum") {
    return Value(all_code_points(s, [](char32_t c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c > 0x7F;
    }));
  }
  if (name == "isspace") return Value(all_code_points(s, py::is_space));
  if (name == "isupper" || name == "islower") {
    bool cased = false;
    for (char c : s) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        cased = true;
        if ((name == "isupper") != (c >= 'A' && c <= 'Z')) return Value(false);
      }
    }
    return Value(cased);
  }
  throw TemplateError("unknown str method '" + name + "'");
}

bool is_string_method(const std::string& name) {
  static const char* const kNames[] = {
      "format", "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
      "replace", "upper", "lower", "title", "capitalize", "swapcase", "casefold", "find", "rfind",
      "index", "rindex", "count", "join", "removeprefix", "removesuffix", "partition", "rpartition",
      "center", "ljust", "rjust", "zfill", "isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum",
      "isspace", "isupper", "islower"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

Value dict_method(const Value& object, const std::string& name, CallArgs& call) {
  const Dict& dict = object.as_dict();
  if (name == "get") {
    BoundArgs args("dict.get", call, {"key", "default"});
    const Value* found = dict.find(args.required(0));
    return found ? *found : args.get_or(1, Value::none());
  }
  BoundArgs args("dict." + name, call, {});
  std::vector<Value> out;
  out.reserve(dict.entries.size());
  for (const auto& [k, v] : dict.entries) {
    if (name == "items") out.push_back(Value::tuple({k, v}));
    else if (name == "keys") out.push_back(k);
    else out.push_back(v);
  }
  if (name == "copy") return Value::dict(dict);
  return Value::list(std::move(out));
}

Value list_method(const Value& object, const std::string& name, CallArgs& call) {
  const auto& items = object.as_list().items;
  if (name == "copy") {
    BoundArgs args("list.copy", call, {});
    return Value::list(items);
  }
  BoundArgs args("list." + name, call, {"value"});
  const Value& needle = args.required(0);
  int64_t count = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!values_equal(items[i], needle)) continue;
    if (name == "index") return Value(static_cast<int64_t>(i));
    ++count;
  }
  if (name == "index") throw TemplateError(needle.repr() + " is not in list");
  return Value(count);
}

Value bound(const Value& object, const std::string& name, Value (*method)(const Value&, const std::string&, CallArgs&)) {
  return Value::callable(name, [object, name, method](Interpreter&, CallArgs& args) { return method(object, name, args); });
}

// Methods that would mutate a value: ImmutableSandboxedEnvironment refuses them.
bool is_mutating_method(const Value& object, const std::string& name) {
  static const char* const kDict[] = {"pop", "popitem", "setdefault", "update", "clear"};
  static const char* const kList[] = {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"};
  if (object.is_dict()) return std::find(std::begin(kDict), std::end(kDict), name) != std::end(kDict);
  if (object.is_list()) return std::find(std::begin(kList), std::end(kList), name) != std::end(kList);
  return false;
}

}  // namespace

Value get_attribute(const Value& object, const std::string& name) {
  switch (object.kind()) {
    case Value::Kind::kString:
      if (is_string_method(name)) {
        return bound(object, name, [](const Value& o, const std::string& n, CallArgs& a) { return string_method(o.as_string(), n, a); });
      }
      break;
    case Value::Kind::kDict:
      if (name == "items" || name == "keys" || name == "values" || name == "get" || name == "copy") {
        return bound(object, name, dict_method);
      }
      if (is_mutating_method(object, name)) {
        return Value::undefined("access to attribute '" + name + "' of 'dict' object is unsafe (templates cannot modify values)");
      }
      if (const Value* found = object.as_dict().find(std::string_view(name))) return *found;
      break;
    case Value::Kind::kList:
      if (name == "count" || name == "index" || name == "copy") return bound(object, name, list_method);
      if (is_mutating_method(object, name)) {
        return Value::undefined("access to attribute '" + name + "' of 'list' object is unsafe (templates cannot modify values)");
      }
      break;
    case Value::Kind::kNamespace:
      if (const Value* found = object.as_dict().find(std::string_view(name))) return *found;
      break;
    case Value::Kind::kUndefined: fail_undefined(object);
    default: break;
  }
  return missing_attribute(object, name);
}

Value get_item(const Value& object, const Value& key) {
  switch (object.kind()) {
    case Value::Kind::kDict:
      if (const Value* found = object.as_dict().find(key)) return *found;
      break;
    case Value::Kind::kList:
    case Value::Kind::kString:
      if (key.is_int() || key.is_bool()) {
        int64_t index = key.as_int();
        if (object.is_list()) {
          const auto size = static_cast<int64_t>(object.as_list().items.size());
          if (index < 0) index += size;
          if (index >= 0 && index < size) return object.as_list().items[index];
        } else {
          const std::u32string text = py::decode_utf8(object.as_string());
          const auto size = static_cast<int64_t>(text.size());
          if (index < 0) index += size;
          if (index >= 0 && index < size) return Value(py::encode_utf8(text.substr(index, 1)));
        }
        return Value::undefined(fmt::format("'{}' has no element {}", object_type_repr(object), key.str()));
      }
      break;
    case Value::Kind::kUndefined: fail_undefined(object);
    default: break;
  }
  if (key.is_string()) return get_attribute(object, key.as_string());
  return Value::undefined(fmt::format("'{}' has no element {}", object_type_repr(object), key.repr()));
}

}  // namespace qinfer::jinja
