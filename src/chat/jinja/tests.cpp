// jinja2's builtin tests (jinja2/tests.py): `x is defined`, `x is string`, `x is eq 3`, ...
#include <algorithm>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/operators.h"

namespace qinfer::jinja {
namespace {

const char* const kTests[] = {"defined", "undefined", "none", "boolean", "true", "false", "integer", "float",
                              "number", "string", "mapping", "iterable", "sequence", "callable", "sameas",
                              "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
                              "greaterthan", ">", "ge", ">=", "in", "odd", "even", "divisibleby", "lower",
                              "upper", "escaped", "filter", "test"};

bool all_ascii_case(const std::string& s, bool want_lower) {
  bool cased = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') {
      if (!want_lower) return false;
      cased = true;
    } else if (c >= 'A' && c <= 'Z') {
      if (want_lower) return false;
      cased = true;
    }
  }
  return cased;
}

int64_t integer_operand(const Value& v, const std::string& test) {
  if (!v.is_int() && !v.is_bool()) throw TemplateError("test '" + test + "' needs an integer, got " + v.type_name());
  return v.as_int();
}

}  // namespace

bool has_test(const std::string& name) {
  return std::find(std::begin(kTests), std::end(kTests), name) != std::end(kTests);
}

bool apply_test(Interpreter& interp, const std::string& name, const Value& v, CallArgs& call) {
  (void)interp;
  if (!has_test(name)) throw TemplateError("no test named '" + name + "'");
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();  // bool is a Number in Python
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
  if (name == "sequence") return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
  if (name == "callable") return v.is_callable();
  if (name == "escaped") return false;
  if (name == "lower" || name == "upper") return v.is_string() && all_ascii_case(v.as_string(), name == "lower");
  if (name == "filter" || name == "test") {
    BoundArgs args(name, call, {"name"});
    if (name == "test") return has_test(args.required(0).str());
    static const char* const kFilters[] = {"tojson", "default", "d", "length", "count", "string", "safe", "escape",
                                           "e", "trim", "lower", "upper", "capitalize", "title", "replace", "join",
                                           "first", "last", "list", "items", "int", "float", "abs", "round", "map",
                                           "select", "reject", "selectattr", "rejectattr", "unique", "sort",
                                           "dictsort", "reverse", "batch", "indent", "center", "wordcount",
                                           "max", "min", "sum", "attr", "format", "forceescape"};
    return std::find(std::begin(kFilters), std::end(kFilters), args.required(0).str()) != std::end(kFilters);
  }
  if (name == "odd" || name == "even") {
    BoundArgs args(name, call, {});
    const int64_t n = integer_operand(v, name);
    return ((n % 2) != 0) == (name == "odd");
  }
  BoundArgs args(name, call, {"other"});
  const Value& other = args.required(0);
  if (name == "sameas") {
    if (v.kind() != other.kind()) return false;
    if (v.is_none() || v.is_undefined()) return true;
    if (v.is_bool() || v.is_int()) return v.as_int() == other.as_int();
    return values_equal(v, other) && (v.is_string() || v.is_float());
  }
  if (name == "divisibleby") {
    const int64_t divisor = integer_operand(other, name);
    if (divisor == 0) throw TemplateError("integer modulo by zero");
    return integer_operand(v, name) % divisor == 0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return compare("==", v, other);
  if (name == "ne" || name == "!=") return compare("!=", v, other);
  if (name == "lt" || name == "lessthan" || name == "<") return compare("<", v, other);
  if (name == "le" || name == "<=") return compare("<=", v, other);
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(">", v, other);
  if (name == "ge" || name == ">=") return compare(">=", v, other);
  if (name == "in") return compare("in", v, other);
  throw TemplateError("no test named '" + name + "'");
}

}  // namespace qinfer::jinja
