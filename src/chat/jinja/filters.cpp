// jinja2's builtin filters (jinja2/filters.py) plus transformers' tojson override.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/json.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/py_string.h"

namespace qinfer::jinja {
namespace {

int64_t length_of(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return 0;
    case Value::Kind::kString: return py::length(v.as_string());
    case Value::Kind::kList: return static_cast<int64_t>(v.as_list().items.size());
    case Value::Kind::kDict: return static_cast<int64_t>(v.as_dict().entries.size());
    default: throw TemplateError("object of type '" + v.type_name() + "' has no len()");
  }
}

// Python int(str): optional sign, digits with single underscores, surrounding whitespace.
std::optional<int64_t> parse_int(const std::string& text) {
  const std::string s = py::strip(text, std::nullopt, true, true);
  std::string digits;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c == '-' || c == '+') && i == 0) digits.push_back(c);
    else if (c >= '0' && c <= '9') digits.push_back(c);
    else if (c == '_' && i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
             std::isdigit(static_cast<unsigned char>(s[i + 1]))) continue;
    else return std::nullopt;
  }
  if (digits.empty() || digits == "-" || digits == "+") return std::nullopt;
  errno = 0;
  const long long v = std::strtoll(digits.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return v;
}

std::optional<double> parse_float(const std::string& text) {
  const std::string s = py::strip(text, std::nullopt, true, true);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

// Resolves "a.b.0" the way jinja2's make_attrgetter does (getitem per dotted part).
Value lookup_path(const Value& item, const std::string& path) {
  Value current = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (current.is_undefined()) fail_undefined(current);
    const auto index = parse_int(part);
    current = index && !part.empty() && part.find_first_not_of("0123456789") == std::string::npos
                  ? get_item(current, Value(*index))
                  : get_item(current, Value(part));
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

// The sort key jinja2 uses: strings lowered unless case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(py::lower(v.as_string()));
  return v;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// jinja2's do_title: capitalise after runs of whitespace, '-', '(', '{', '[' and '<'.
std::string jinja_title(const std::string& s) {
  std::string out;
  bool word_start = true;
  for (char c : s) {
    const bool separator = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || c == ' ' || c == '\t' ||
                           c == '\n' || c == '\r' || c == '\v' || c == '\f';
    if (separator) {
      out.push_back(c);
      word_start = true;
    } else {
      out += word_start ? py::upper(std::string(1, c)) : py::lower(std::string(1, c));
      word_start = false;
    }
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::string current;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      lines.push_back(current);
      current.clear();
    } else {
      current.push_back(s[i]);
    }
  }
  if (!current.empty()) lines.push_back(current);
  return lines;
}

std::string do_indent(const std::string& input, const BoundArgs& args) {
  const Value width = args.get_or(0, Value(4));
  const std::string indentation = width.is_string() ? width.as_string() : std::string(std::max<int64_t>(0, width.as_int()), ' ');
  const bool first = args.flag(1, false);
  const bool blank = args.flag(2, false);
  const std::vector<std::string> lines = split_lines(input + "\n");
  std::string out;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" + indentation : "") + lines[i];
  } else {
    out = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) out += "\n" + (lines[i].empty() ? "" : indentation + lines[i]);
  }
  return first ? indentation + out : out;
}

double python_round(double value, int64_t digits) {
  const double scale = std::pow(10.0, static_cast<double>(digits));
  const double scaled = value * scale;
  double rounded = std::nearbyint(scaled);  // round-half-even, like Python's round()
  return rounded / scale;
}

Value do_tojson(const Value& input, CallArgs& call) {
  // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  BoundArgs args("tojson", call, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonDumpOptions options;
  options.ensure_ascii = args.flag(0, false);
  if (const Value* indent = args.get(1); indent && !indent->is_none()) {
    if (indent->is_string()) options.indent = indent->as_string();
    else if (indent->is_int()) options.indent = std::string(std::max<int64_t>(0, indent->as_int()), ' ');
    else throw TemplateError("tojson: indent must be an int or a string");
    options.item_separator = ",";
  }
  if (const Value* separators = args.get(2); separators && !separators->is_none()) {
    const std::vector<Value> parts = iterate(*separators);
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string()) {
      throw TemplateError("tojson: separators must be a pair of strings");
    }
    options.item_separator = parts[0].as_string();
    options.key_separator = parts[1].as_string();
  }
  options.sort_keys = args.flag(3, false);
  return Value(dump_json(input, options));
}

// Applies the test named by args[first] (with the rest as its arguments) for select/reject.
bool run_item_test(Interpreter& interp, const Value& item, const std::vector<Value>& args, size_t first) {
  if (args.size() <= first) return item.truthy();
  if (!args[first].is_string()) throw TemplateError("the test name must be a string");
  CallArgs test_args;
  test_args.positional.assign(args.begin() + static_cast<std::ptrdiff_t>(first) + 1, args.end());
  return apply_test(interp, args[first].as_string(), item, test_args);
}

Value select_items(Interpreter& interp, const std::string& name, const Value& input, CallArgs& call) {
  const bool by_attribute = name == "selectattr" || name == "rejectattr";
  const bool keep_when = name == "select" || name == "selectattr";
  if (by_attribute && (call.positional.empty() || !call.positional[0].is_string())) {
    throw TemplateError(name + "() needs an attribute name");
  }
  std::vector<Value> out;
  for (const auto& item : iterate(input)) {
    interp.count_step();
    const Value subject = by_attribute ? lookup_path(item, call.positional[0].as_string()) : item;
    if (run_item_test(interp, subject, call.positional, by_attribute ? 1 : 0) == keep_when) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value map_items(Interpreter& interp, const Value& input, CallArgs& call) {
  std::vector<Value> out;
  const std::vector<Value> items = iterate(input);
  for (const auto& [key, value] : call.keyword) {
    if (key != "attribute" && key != "default") throw TemplateError("map() got an unexpected keyword argument '" + key + "'");
  }
  const Value* attribute = nullptr;
  const Value* fallback = nullptr;
  for (const auto& [key, value] : call.keyword) (key == "attribute" ? attribute : fallback) = &value;
  if (attribute) {
    if (!attribute->is_string()) throw TemplateError("map(attribute=...) needs a string");
    for (const auto& item : items) {
      Value v = lookup_path(item, attribute->as_string());
      out.push_back(v.is_undefined() && fallback ? *fallback : v);
    }
    return Value::list(std::move(out));
  }
  if (call.positional.empty() || !call.positional[0].is_string()) throw TemplateError("map() needs a filter name or attribute=");
  const std::string filter = call.positional[0].as_string();
  for (const auto& item : items) {
    interp.count_step();
    CallArgs filter_args;
    filter_args.positional.assign(call.positional.begin() + 1, call.positional.end());
    out.push_back(apply_filter(interp, filter, item, filter_args));
  }
  return Value::list(std::move(out));
}

Value sorted_items(const Value& input, const BoundArgs& args) {
  const bool reverse = args.flag(0, false);
  const bool case_sensitive = args.flag(1, false);
  const Value* attribute = args.get(2);
  std::vector<Value> items = iterate(input);
  auto key = [&](const Value& item) {
    return sort_key(attribute && !attribute->is_none() ? lookup_path(item, attribute->str()) : item, case_sensitive);
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    return reverse ? compare_values(key(b), key(a)) < 0 : compare_values(key(a), key(b)) < 0;
  });
  return Value::list(std::move(items));
}

Value min_max(const Value& input, CallArgs& call, bool want_max) {
  BoundArgs args(want_max ? "max" : "min", call, {"case_sensitive", "attribute"});
  const bool case_sensitive = args.flag(0, false);
  const Value* attribute = args.get(1);
  const std::vector<Value> items = iterate(input);
  if (items.empty()) return Value::undefined(std::string("No aggregated item, sequence was empty."));
  auto key = [&](const Value& item) {
    return sort_key(attribute && !attribute->is_none() ? lookup_path(item, attribute->str()) : item, case_sensitive);
  };
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    const int c = compare_values(key(items[i]), key(items[best]));
    if (want_max ? c > 0 : c < 0) best = i;
  }
  return items[best];
}

}  // namespace

Value apply_filter(Interpreter& interp, const std::string& name, const Value& input, CallArgs& call) {
  if (name == "tojson") return do_tojson(input, call);
  if (name == "default" || name == "d") {
    BoundArgs args(name, call, {"default_value", "boolean"});
    const bool use_default = input.is_undefined() || (args.flag(1, false) && !input.truthy());
    return use_default ? args.get_or(0, Value("")) : input;
  }
  if (name == "length" || name == "count") {
    BoundArgs args(name, call, {});
    return Value(length_of(input));
  }
  if (name == "string" || name == "safe") {
    BoundArgs args(name, call, {});
    return Value(input.str());
  }
  if (name == "escape" || name == "e" || name == "forceescape") {
    BoundArgs args(name, call, {});
    return Value(html_escape(input.str()));
  }
  if (name == "trim") {
    BoundArgs args(name, call, {"chars"});
    const Value* chars = args.get(0);
    return Value(py::strip(input.str(), chars && !chars->is_none() ? std::optional<std::string>(chars->str()) : std::nullopt, true, true));
  }
  if (name == "lower" || name == "upper" || name == "capitalize" || name == "title") {
    BoundArgs args(name, call, {});
    const std::string s = input.str();
    if (name == "lower") return Value(py::lower(s));
    if (name == "upper") return Value(py::upper(s));
    if (name == "capitalize") return Value(py::capitalize(s));
    return Value(jinja_title(s));
  }
  if (name == "replace") {
    BoundArgs args(name, call, {"old", "new", "count"});
    const Value* count = args.get(2);
    return Value(py::replace(input.str(), args.required(0).str(), args.required(1).str(),
                             count && !count->is_none() ? count->as_int() : -1));
  }
  if (name == "join") {
    BoundArgs args(name, call, {"d", "attribute"});
    const std::string separator = args.get_or(0, Value("")).str();
    const Value* attribute = args.get(1);
    std::string out;
    bool first = true;
    for (const auto& item : iterate(input)) {
      if (!first) out += separator;
      first = false;
      out += (attribute && !attribute->is_none() ? lookup_path(item, attribute->str()) : item).str();
      interp.check_size(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "first" || name == "last") {
    BoundArgs args(name, call, {});
    const std::vector<Value> items = iterate(input);
    if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") {
    BoundArgs args(name, call, {});
    return Value::list(iterate(input));
  }
  if (name == "items") {
    BoundArgs args(name, call, {});
    if (input.is_undefined()) return Value::list({});
    if (!input.is_dict()) throw TemplateError("Can only get item pairs from a mapping.");
    std::vector<Value> out;
    for (const auto& [k, v] : input.as_dict().entries) out.push_back(Value::tuple({k, v}));
    return Value::list(std::move(out));
  }
  if (name == "int") {
    BoundArgs args(name, call, {"default", "base"});
    const Value fallback = args.get_or(0, Value(0));
    if (input.is_int() || input.is_bool()) return Value(input.as_int());
    if (input.is_float()) return std::isfinite(input.as_float()) ? Value(static_cast<int64_t>(input.as_float())) : fallback;
    if (input.is_string()) {
      if (auto v = parse_int(input.as_string())) return Value(*v);
      if (auto f = parse_float(input.as_string()); f && std::isfinite(*f)) return Value(static_cast<int64_t>(*f));
    }
    return fallback;
  }
  if (name == "float") {
    BoundArgs args(name, call, {"default"});
    if (input.is_number()) return Value(input.as_float());
    if (input.is_string()) {
      if (auto f = parse_float(input.as_string())) return Value(*f);
    }
    return args.get_or(0, Value(0.0));
  }
  if (name == "abs") {
    BoundArgs args(name, call, {});
    if (!input.is_number()) throw TemplateError("bad operand type for abs(): '" + input.type_name() + "'");
    return input.is_float() ? Value(std::fabs(input.as_float())) : Value(input.as_int() < 0 ? -input.as_int() : input.as_int());
  }
  if (name == "round") {
    BoundArgs args(name, call, {"precision", "method"});
    const int64_t precision = args.get_or(0, Value(0)).as_int();
    const std::string method = args.get_or(1, Value("common")).str();
    if (!input.is_number()) throw TemplateError("round() needs a number, got " + input.type_name());
    if (method == "common") {
      if (!input.is_float()) return Value(input.as_int());
      return Value(python_round(input.as_float(), precision));
    }
    if (method != "ceil" && method != "floor") throw TemplateError("method must be common, ceil or floor");
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double scaled = input.as_float() * scale;
    return Value((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
  }
  if (name == "map") return map_items(interp, input, call);
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    return select_items(interp, name, input, call);
  }
  if (name == "unique") {
    BoundArgs args(name, call, {"case_sensitive", "attribute"});
    const bool case_sensitive = args.flag(0, false);
    const Value* attribute = args.get(1);
    std::vector<Value> out;
    std::vector<Value> seen;
    for (const auto& item : iterate(input)) {
      interp.count_step();
      const Value key = sort_key(attribute && !attribute->is_none() ? lookup_path(item, attribute->str()) : item, case_sensitive);
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return values_equal(s, key); })) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    return Value::list(std::move(out));
  }
  if (name == "sort") {
    BoundArgs args(name, call, {"reverse", "case_sensitive", "attribute"});
    return sorted_items(input, args);
  }
  if (name == "dictsort") {
    BoundArgs args(name, call, {"case_sensitive", "by", "reverse"});
    if (!input.is_dict()) throw TemplateError("dictsort: input must be a mapping");
    const bool case_sensitive = args.flag(0, false);
    const std::string by = args.get_or(1, Value("key")).str();
    if (by != "key" && by != "value") throw TemplateError("You can only sort by either \"key\" or \"value\"");
    const bool reverse = args.flag(2, false);
    std::vector<Value> pairs;
    for (const auto& [k, v] : input.as_dict().entries) pairs.push_back(Value::tuple({k, v}));
    const size_t pick = by == "key" ? 0 : 1;
    std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
      const int c = compare_values(sort_key(a.as_list().items[pick], case_sensitive), sort_key(b.as_list().items[pick], case_sensitive));
      return reverse ? c > 0 : c < 0;
    });
    return Value::list(std::move(pairs));
  }
  if (name == "reverse") {
    BoundArgs args(name, call, {});
    if (input.is_string()) return slice(input, std::nullopt, std::nullopt, -1);
    std::vector<Value> items = iterate(input);
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  }
  if (name == "batch") {
    BoundArgs args(name, call, {"linecount", "fill_with"});
    const int64_t size = args.required(0).as_int();
    if (size <= 0) throw TemplateError("batch: linecount must be positive");
    const Value* fill = args.get(1);
    std::vector<Value> batches;
    std::vector<Value> current;
    for (const auto& item : iterate(input)) {
      current.push_back(item);
      if (static_cast<int64_t>(current.size()) == size) batches.push_back(Value::list(std::exchange(current, {})));
    }
    if (!current.empty()) {
      if (fill && !fill->is_none()) {
        while (static_cast<int64_t>(current.size()) < size) current.push_back(*fill);
      }
      batches.push_back(Value::list(std::move(current)));
    }
    return Value::list(std::move(batches));
  }
  if (name == "indent") {
    BoundArgs args(name, call, {"width", "first", "blank"});
    return Value(do_indent(input.str(), args));
  }
  if (name == "center") {
    BoundArgs args(name, call, {"width"});
    CallArgs method_args;
    method_args.positional.push_back(args.get_or(0, Value(80)));
    return interp.call(get_attribute(Value(input.str()), "center"), method_args);
  }
  if (name == "wordcount") {
    BoundArgs args(name, call, {});
    return Value(static_cast<int64_t>(py::split(input.str(), std::nullopt, -1).size()));
  }
  if (name == "max" || name == "min") return min_max(input, call, name == "max");
  if (name == "sum") {
    BoundArgs args(name, call, {"attribute", "start"});
    Value total = args.get_or(1, Value(0));
    const Value* attribute = args.get(0);
    for (const auto& item : iterate(input)) {
      total = binary(interp, "+", total, attribute && !attribute->is_none() ? lookup_path(item, attribute->str()) : item);
    }
    return total;
  }
  if (name == "attr") {
    BoundArgs args(name, call, {"name"});
    return get_attribute(input, args.required(0).str());
  }
  if (name == "format") {
    // printf-style "%s" formatting, the subset templates use: %s %r %d %i %%.
    const std::string pattern = input.str();
    std::string out;
    size_t next = 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '%') {
        out.push_back(pattern[i]);
        continue;
      }
      if (i + 1 >= pattern.size()) throw TemplateError("format: incomplete format");
      const char spec = pattern[++i];
      if (spec == '%') {
        out.push_back('%');
        continue;
      }
      if (next >= call.positional.size()) throw TemplateError("format: not enough arguments for format string");
      const Value& arg = call.positional[next++];
      if (spec == 's') out += arg.str();
      else if (spec == 'r') out += arg.repr();
      else if ((spec == 'd' || spec == 'i') && arg.is_number()) out += std::to_string(arg.is_float() ? static_cast<int64_t>(arg.as_float()) : arg.as_int());
      else throw TemplateError(std::string("format: unsupported format character '") + spec + "'");
    }
    return Value(std::move(out));
  }
  throw TemplateError("no filter named '" + name + "'");
}

}  // namespace qinfer::jinja
