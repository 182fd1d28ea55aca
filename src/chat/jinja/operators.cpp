#include "chat/jinja/operators.h"

#include <cmath>
#include <limits>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/py_string.h"

namespace qinfer::jinja {
namespace {

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (op == "+" && a.is_string()) throw TemplateError("can only concatenate str (not \"" + b.type_name() + "\") to str");
  if (op == "+" && a.is_list() && !a.as_list().is_tuple) {
    throw TemplateError("can only concatenate list (not \"" + b.type_name() + "\") to list");
  }
  throw TemplateError("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
}

bool is_integral(const Value& v) { return v.is_int() || v.is_bool(); }

Value repeat(Interpreter& interp, const Value& sequence, int64_t times) {
  if (times < 0) times = 0;
  if (sequence.is_string()) {
    interp.check_size(sequence.as_string().size() * static_cast<size_t>(times));
    std::string out;
    for (int64_t i = 0; i < times; ++i) out += sequence.as_string();
    return Value(std::move(out));
  }
  const auto& list = sequence.as_list();
  interp.check_size(list.items.size() * static_cast<size_t>(times));
  std::vector<Value> items;
  for (int64_t i = 0; i < times; ++i) items.insert(items.end(), list.items.begin(), list.items.end());
  return list.is_tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t checked(__int128 v) {
  if (v > std::numeric_limits<int64_t>::max() || v < std::numeric_limits<int64_t>::min()) {
    throw TemplateError("integer result does not fit in 64 bits");
  }
  return static_cast<int64_t>(v);
}

}  // namespace

Value binary(Interpreter& interp, const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string out = a.str() + b.str();
    interp.check_size(out.size());
    return Value(std::move(out));
  }
  const bool numbers = a.is_number() && b.is_number();
  const bool ints = numbers && is_integral(a) && is_integral(b);
  if (op == "+") {
    if (ints) return Value(checked(static_cast<__int128>(a.as_int()) + b.as_int()));
    if (numbers) return Value(a.as_float() + b.as_float());
    if (a.is_string() && b.is_string()) {
      interp.check_size(a.as_string().size() + b.as_string().size());
      return Value(a.as_string() + b.as_string());
    }
    if (a.is_list() && b.is_list() && a.as_list().is_tuple == b.as_list().is_tuple) {
      interp.check_size(a.as_list().items.size() + b.as_list().items.size());
      std::vector<Value> items = a.as_list().items;
      items.insert(items.end(), b.as_list().items.begin(), b.as_list().items.end());
      return a.as_list().is_tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
    }
    unsupported(op, a, b);
  }
  if (op == "-") {
    if (ints) return Value(checked(static_cast<__int128>(a.as_int()) - b.as_int()));
    if (numbers) return Value(a.as_float() - b.as_float());
    unsupported(op, a, b);
  }
  if (op == "*") {
    if (ints) return Value(checked(static_cast<__int128>(a.as_int()) * b.as_int()));
    if (numbers) return Value(a.as_float() * b.as_float());
    if ((a.is_string() || a.is_list()) && is_integral(b)) return repeat(interp, a, b.as_int());
    if ((b.is_string() || b.is_list()) && is_integral(a)) return repeat(interp, b, a.as_int());
    unsupported(op, a, b);
  }
  if (op == "/" || op == "//" || op == "%") {
    if (!numbers) {
      if (op == "%" && a.is_string()) throw TemplateError("printf-style '%' string formatting is not supported; use format()");
      unsupported(op, a, b);
    }
    if (b.as_float() == 0.0) throw TemplateError(op == "%" ? "integer modulo by zero" : "division by zero");
    if (op == "/") return Value(a.as_float() / b.as_float());
    if (ints) {
      if (op == "//") return Value(floor_div(a.as_int(), b.as_int()));
      const int64_t r = a.as_int() % b.as_int();
      return Value((r != 0 && ((r < 0) != (b.as_int() < 0))) ? r + b.as_int() : r);
    }
    const double x = a.as_float();
    const double y = b.as_float();
    if (op == "//") return Value(std::floor(x / y));
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return Value(r);
  }
  if (op == "**") {
    if (!numbers) unsupported(op, a, b);
    if (ints && b.as_int() >= 0) {
      __int128 result = 1;
      __int128 base = a.as_int();
      for (int64_t e = b.as_int(); e > 0;) {  // square-and-multiply
        if (e & 1) result = checked(result * base);
        e >>= 1;
        if (e) base = checked(base * base);
      }
      return Value(static_cast<int64_t>(result));
    }
    return Value(std::pow(a.as_float(), b.as_float()));
  }
  throw TemplateError("unknown operator '" + op + "'");
}

Value unary(const std::string& op, const Value& v) {
  if (v.is_undefined()) fail_undefined(v);
  if (!v.is_number()) throw TemplateError("bad operand type for unary " + op + ": '" + v.type_name() + "'");
  if (op == "+") return v.is_float() ? Value(v.as_float()) : Value(v.as_int());
  return v.is_float() ? Value(-v.as_float()) : Value(checked(-static_cast<__int128>(v.as_int())));
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return values_equal(a, b);
  if (op == "!=") return !values_equal(a, b);
  if (op == "in") return contains(b, a);
  if (op == "not in") return !contains(b, a);
  const int c = compare_values(a, b);
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

Value slice(const Value& object, std::optional<int64_t> start, std::optional<int64_t> stop,
            std::optional<int64_t> step) {
  if (object.is_string()) {
    const std::u32string text = py::decode_utf8(object.as_string());
    std::u32string out;
    for (int64_t i : py::slice_indices(static_cast<int64_t>(text.size()), start, stop, step)) out.push_back(text[i]);
    return Value(py::encode_utf8(out));
  }
  if (object.is_list()) {
    const auto& list = object.as_list();
    std::vector<Value> items;
    for (int64_t i : py::slice_indices(static_cast<int64_t>(list.items.size()), start, stop, step)) {
      items.push_back(list.items[i]);
    }
    return list.is_tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
  }
  throw TemplateError("'" + object.type_name() + "' object is not subscriptable");
}

}  // namespace qinfer::jinja
