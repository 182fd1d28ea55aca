// The values a template computes with, modelled on the Python objects jinja2 sees when transformers
// renders a chat template: str (UTF-8 here, but lengths and indices count code points as Python
// does), int, float, bool, None, list/tuple, dict (insertion ordered), jinja2's Namespace, callables
// and jinja2's default Undefined.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qinfer::jinja {

class Value;
class Interpreter;

// Arguments of a call as written in the template: f(a, b, key=c).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

using NativeFunction = std::function<Value(Interpreter&, CallArgs&)>;

struct Callable {
  std::string name;
  NativeFunction function;
};

struct List {
  std::vector<Value> items;
  bool is_tuple = false;
};

// Insertion-ordered like a Python dict. Chat-template dicts are small (a message, a JSON schema
// level), so a linear scan beats hashing and keeps the order for free.
struct Dict {
  std::vector<std::pair<Value, Value>> entries;

  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  void set(Value key, Value value);
};

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() = default;  // Undefined with no name
  Value(bool b) : kind_(Kind::kBool), bool_(b) {}  // NOLINT(google-explicit-constructor)
  Value(int i) : kind_(Kind::kInt), int_(i) {}  // NOLINT(google-explicit-constructor)
  Value(int64_t i) : kind_(Kind::kInt), int_(i) {}  // NOLINT(google-explicit-constructor)
  Value(double f) : kind_(Kind::kFloat), float_(f) {}  // NOLINT(google-explicit-constructor)
  Value(std::string s) : kind_(Kind::kString), string_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Value(const char* s) : kind_(Kind::kString), string_(s) {}  // NOLINT(google-explicit-constructor)

  // `hint` says what was looked up, for the error raised when the undefined value is used.
  static Value undefined(std::string hint);
  static Value none();
  static Value list(std::vector<Value> items);
  static Value tuple(std::vector<Value> items);
  static Value dict(Dict dict = {});
  static Value ns(Dict attributes);
  static Value callable(std::string name, NativeFunction function);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  bool as_bool() const { return bool_; }
  int64_t as_int() const { return kind_ == Kind::kBool ? (bool_ ? 1 : 0) : int_; }
  double as_float() const;  // int, bool or float
  const std::string& as_string() const { return string_; }
  const std::string& undefined_hint() const { return string_; }
  const List& as_list() const { return *list_; }
  const Dict& as_dict() const { return *dict_; }  // dict or namespace
  Dict& namespace_attributes() const { return *dict_; }
  const Callable& as_callable() const { return *callable_; }

  // Python truth value.
  bool truthy() const;
  // Python str() and repr(); str of an Undefined is "" as in jinja2.
  std::string str() const;
  std::string repr() const;
  // The Python type name, for error messages ("str", "int", "dict", ...).
  std::string type_name() const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool bool_ = false;
  int64_t int_ = 0;
  double float_ = 0.0;
  std::string string_;  // string value, or an Undefined's hint
  std::shared_ptr<List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<Callable> callable_;
};

// Python ==, with 1 == 1.0 == True and element-wise list/dict comparison.
bool values_equal(const Value& a, const Value& b);
// Python <, >, ... ordering: -1, 0 or 1; throws TemplateError for unorderable types.
int compare_values(const Value& a, const Value& b);
// Python float repr(): the shortest string that round-trips ("1.0", "0.1", "1e+16", "1e-05").
std::string python_float_repr(double value);

}  // namespace qinfer::jinja
