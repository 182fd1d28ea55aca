// The functions a template reaches by name: filters (`x | name`), tests (`x is name`), attributes
// and methods of values (`s.startswith(...)`, `d.items()`), and the global functions transformers
// installs (range, namespace, raise_exception, strftime_now, dict).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "chat/jinja/interpreter.h"
#include "chat/jinja/value.h"

namespace qinfer::jinja {

Value apply_filter(Interpreter& interpreter, const std::string& name, const Value& input, CallArgs& args);
bool apply_test(Interpreter& interpreter, const std::string& name, const Value& input, CallArgs& args);
bool has_test(const std::string& name);

// jinja2's getattr: Python attribute (bound method) first, then item. Missing: Undefined.
Value get_attribute(const Value& object, const std::string& name);
// jinja2's getitem: item first, then attribute for string keys. Missing: Undefined.
Value get_item(const Value& object, const Value& key);

Dict make_globals();

// Elements a for loop or a filter iterates: list items, dict keys, string code points;
// Undefined iterates as empty. Throws for values that are not iterable.
std::vector<Value> iterate(const Value& value);
// Python `needle in container`.
bool contains(const Value& container, const Value& needle);
// Throws the error an Undefined carries when it is used for more than printing or testing.
[[noreturn]] void fail_undefined(const Value& undefined);

// Binds call arguments to a Python-style parameter list, e.g. {"ensure_ascii", "indent"}.
class BoundArgs {
 public:
  BoundArgs(const std::string& function, CallArgs& args, std::initializer_list<const char*> params);
  const Value* get(size_t index) const { return values_[index] ? &*values_[index] : nullptr; }
  Value get_or(size_t index, Value fallback) const { return values_[index] ? *values_[index] : std::move(fallback); }
  // Python truthiness of the argument, or `fallback` when it was not passed.
  bool flag(size_t index, bool fallback) const { return values_[index] ? values_[index]->truthy() : fallback; }
  const Value& required(size_t index) const;

 private:
  std::string function_;
  std::vector<std::string> names_;
  std::vector<std::optional<Value>> values_;
};

}  // namespace qinfer::jinja
