// The global functions a chat template can call. transformers installs raise_exception,
// strftime_now, namespace (refusing underscore attributes) and dict; jinja2 supplies range, which
// its sandbox caps at 100000 items.
#include <ctime>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"

namespace qinfer::jinja {
namespace {

constexpr int64_t kMaxRange = 100000;  // jinja2.sandbox.MAX_RANGE

Value range(Interpreter&, CallArgs& call) {
  if (!call.keyword.empty()) throw TemplateError("range() takes no keyword arguments");
  const auto& a = call.positional;
  for (const auto& v : a) {
    if (!v.is_int() && !v.is_bool()) throw TemplateError("'" + v.type_name() + "' object cannot be interpreted as an integer");
  }
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  if (a.size() == 1) {
    stop = a[0].as_int();
  } else if (a.size() == 2 || a.size() == 3) {
    start = a[0].as_int();
    stop = a[1].as_int();
    if (a.size() == 3) step = a[2].as_int();
  } else {
    throw TemplateError("range expected 1 to 3 arguments, got " + std::to_string(a.size()));
  }
  if (step == 0) throw TemplateError("range() arg 3 must not be zero");
  const __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  const __int128 count = span <= 0 ? 0 : (span + (step > 0 ? step : -step) - 1) / (step > 0 ? step : -step);
  if (count > kMaxRange) {
    throw TemplateError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) items.emplace_back(start + i * step);
  return Value::list(std::move(items));
}

// namespace(...) and dict(...): an optional mapping or list of pairs, then keyword arguments.
Dict collect_entries(const std::string& function, CallArgs& call) {
  Dict dict;
  if (call.positional.size() > 1) throw TemplateError(function + " expected at most 1 positional argument");
  if (!call.positional.empty()) {
    const Value& source = call.positional[0];
    if (source.is_dict() || source.is_namespace()) {
      for (const auto& [k, v] : source.as_dict().entries) dict.set(k, v);
    } else {
      for (const auto& pair : iterate(source)) {
        const std::vector<Value> kv = iterate(pair);
        if (kv.size() != 2) throw TemplateError(function + ": sequence elements must have length 2");
        dict.set(kv[0], kv[1]);
      }
    }
  }
  for (auto& [key, value] : call.keyword) dict.set(Value(key), value);
  return dict;
}

}  // namespace

Dict make_globals() {
  Dict globals;
  globals.set(Value("range"), Value::callable("range", range));
  globals.set(Value("namespace"), Value::callable("namespace", [](Interpreter&, CallArgs& call) {
                Dict attributes = collect_entries("namespace", call);
                for (const auto& entry : attributes.entries) {
                  if (entry.first.is_string() && !entry.first.as_string().empty() && entry.first.as_string()[0] == '_') {
                    throw TemplateError("chat templates cannot store underscore-prefixed attributes on a namespace, but got '" +
                                        entry.first.as_string() + "'");
                  }
                }
                return Value::ns(std::move(attributes));
              }));
  globals.set(Value("dict"), Value::callable("dict", [](Interpreter&, CallArgs& call) {
                return Value::dict(collect_entries("dict", call));
              }));
  globals.set(Value("raise_exception"), Value::callable("raise_exception", [](Interpreter&, CallArgs& call) -> Value {
                BoundArgs args("raise_exception", call, {"message"});
                TemplateError error(args.get_or(0, Value("")).str());
                error.raised_by_template = true;
                throw error;
              }));
  globals.set(Value("strftime_now"), Value::callable("strftime_now", [](Interpreter&, CallArgs& call) {
                BoundArgs args("strftime_now", call, {"format"});
                const std::string format = args.required(0).str();
                const std::time_t now = std::time(nullptr);
                std::tm local{};
                localtime_r(&now, &local);
                char buffer[512];
                const size_t n = std::strftime(buffer, sizeof(buffer), format.c_str(), &local);
                if (n == 0 && !format.empty()) throw TemplateError("strftime_now: format produced no output or is too long");
                return Value(std::string(buffer, n));
              }));
  return globals;
}

}  // namespace qinfer::jinja
