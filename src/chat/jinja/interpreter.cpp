#include "chat/jinja/interpreter.h"

#include <cmath>

#include "chat/jinja/builtins.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/py_string.h"

namespace qinfer::jinja {

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get()) {
    const auto it = s->variables.find(name);
    if (it != s->variables.end()) return &it->second;
  }
  return nullptr;
}

namespace {

ScopePtr child_scope(const ScopePtr& parent) {
  auto scope = std::make_shared<Scope>();
  scope->parent = parent;
  return scope;
}

// Binds `targets` to `item`, unpacking it when there are several (for k, v in ...).
void bind_targets(Scope& scope, const std::vector<std::string>& targets, const Value& item) {
  if (targets.size() == 1) {
    scope.variables[targets[0]] = item;
    return;
  }
  std::vector<Value> parts = iterate(item);
  if (parts.size() != targets.size()) {
    throw TemplateError(parts.size() < targets.size()
                            ? "not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " +
                                  std::to_string(parts.size()) + ")"
                            : "too many values to unpack (expected " + std::to_string(targets.size()) + ")");
  }
  for (size_t i = 0; i < targets.size(); ++i) scope.variables[targets[i]] = parts[i];
}

}  // namespace

std::string Interpreter::render(const Body& body, ScopePtr globals) {
  std::string out;
  exec_body(body, child_scope(globals), out);
  return out;
}

void Interpreter::check_size(size_t size) const {
  if (size > limits_.max_output_bytes) {
    throw TemplateError("template output or value is larger than the limit of " +
                        std::to_string(limits_.max_output_bytes) + " bytes");
  }
}

void Interpreter::count_step() {
  if (++steps_ > limits_.max_steps) {
    throw TemplateError("template exceeded the limit of " + std::to_string(limits_.max_steps) + " evaluation steps");
  }
}

void Interpreter::append(std::string& out, const std::string& text) const {
  check_size(out.size() + text.size());
  out += text;
}

Interpreter::Flow Interpreter::exec_body(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const auto& stmt : body) {
    const Flow flow = exec(*stmt, scope, out);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
  count_step();
  try {
    switch (stmt.kind) {
      case Stmt::Kind::kText: append(out, stmt.text); return Flow::kNormal;
      case Stmt::Kind::kPrint: append(out, eval(*stmt.expr, scope).str()); return Flow::kNormal;
      case Stmt::Kind::kIf:
        for (const auto& [condition, body] : stmt.branches) {
          if (eval(*condition, scope).truthy()) return exec_body(body, scope, out);
        }
        return exec_body(stmt.else_body, scope, out);
      case Stmt::Kind::kFor: return exec_for(stmt, scope, out);
      case Stmt::Kind::kSet: exec_set(stmt, scope); return Flow::kNormal;
      case Stmt::Kind::kSetBlock: {
        std::string text;
        exec_body(stmt.body, child_scope(scope), text);
        Value value(std::move(text));
        if (stmt.expr) {
          filter_block_input_ = &value;
          value = eval(*stmt.expr, scope);
          filter_block_input_ = nullptr;
        }
        scope->variables[stmt.targets[0]] = std::move(value);
        return Flow::kNormal;
      }
      case Stmt::Kind::kMacro: scope->variables[stmt.name] = make_macro(stmt, scope, stmt.name); return Flow::kNormal;
      case Stmt::Kind::kCallBlock: exec_call_block(stmt, scope, out); return Flow::kNormal;
      case Stmt::Kind::kFilterBlock: {
        std::string text;
        exec_body(stmt.body, child_scope(scope), text);
        const Value input(std::move(text));
        filter_block_input_ = &input;
        const Value result = eval(*stmt.expr, scope);
        filter_block_input_ = nullptr;
        append(out, result.str());
        return Flow::kNormal;
      }
      case Stmt::Kind::kBreak: return Flow::kBreak;
      case Stmt::Kind::kContinue: return Flow::kContinue;
      case Stmt::Kind::kScope: return exec_body(stmt.body, scope, out);
    }
  } catch (TemplateError& e) {
    e.set_pos_if_unknown(stmt.pos);
    throw;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::exec_for(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
  std::vector<Value> items = iterate(eval(*stmt.expr, scope));
  auto loop_scope = child_scope(scope);
  if (stmt.condition) {
    // `for x in xs if cond` filters before looping, so loop.length counts the kept items.
    std::vector<Value> kept;
    for (auto& item : items) {
      count_step();
      bind_targets(*loop_scope, stmt.targets, item);
      if (eval(*stmt.condition, loop_scope).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  const auto length = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < length; ++i) {
    count_step();
    bind_targets(*loop_scope, stmt.targets, items[i]);
    Dict loop;
    loop.entries.reserve(13);
    loop.entries.emplace_back("index", Value(i + 1));
    loop.entries.emplace_back("index0", Value(i));
    loop.entries.emplace_back("revindex", Value(length - i));
    loop.entries.emplace_back("revindex0", Value(length - i - 1));
    loop.entries.emplace_back("first", Value(i == 0));
    loop.entries.emplace_back("last", Value(i == length - 1));
    loop.entries.emplace_back("length", Value(length));
    loop.entries.emplace_back("depth", Value(1));
    loop.entries.emplace_back("depth0", Value(0));
    loop.entries.emplace_back("previtem", i > 0 ? items[i - 1] : Value::undefined("there is no previous item"));
    loop.entries.emplace_back("nextitem", i + 1 < length ? items[i + 1] : Value::undefined("there is no next item"));
    loop.entries.emplace_back("cycle", Value::callable("loop.cycle", [i](Interpreter&, CallArgs& args) -> Value {
                                if (args.positional.empty()) throw TemplateError("no items for cycling given");
                                return args.positional[i % args.positional.size()];
                              }));
    loop_scope->variables["loop"] = Value::dict(std::move(loop));
    const Flow flow = exec_body(stmt.body, loop_scope, out);
    if (flow == Flow::kBreak) break;
  }
  if (length == 0) return exec_body(stmt.else_body, loop_scope, out);
  return Flow::kNormal;
}

void Interpreter::exec_set(const Stmt& stmt, const ScopePtr& scope) {
  Value value = eval(*stmt.expr, scope);
  if (!stmt.attribute.empty()) {
    const Value* target = scope->lookup(stmt.targets[0]);
    if (!target || !target->is_namespace()) {
      throw TemplateError("cannot assign attribute on non-namespace object '" + stmt.targets[0] + "'");
    }
    if (!stmt.attribute.empty() && stmt.attribute[0] == '_') {
      throw TemplateError("cannot store underscore-prefixed attribute '" + stmt.attribute + "' on a namespace");
    }
    target->namespace_attributes().set(Value(stmt.attribute), std::move(value));
    return;
  }
  bind_targets(*scope, stmt.targets, value);
}

Value Interpreter::make_macro(const Stmt& stmt, const ScopePtr& scope, const std::string& name) {
  const Stmt* definition = &stmt;
  // The macro keeps a weak handle: the scope owns the macro value, so a strong one would leak.
  std::weak_ptr<Scope> weak_scope = scope;
  return Value::callable(name, [definition, weak_scope, name](Interpreter& interp, CallArgs& args) -> Value {
    ScopePtr defining = weak_scope.lock();
    auto local = std::make_shared<Scope>();
    local->parent = defining;
    const auto& params = definition->params;
    if (args.positional.size() > params.size()) {
      throw TemplateError("macro '" + name + "' takes not more than " + std::to_string(params.size()) +
                          " argument(s)");
    }
    std::vector<bool> bound(params.size(), false);
    for (size_t i = 0; i < args.positional.size(); ++i) {
      local->variables[params[i].first] = args.positional[i];
      bound[i] = true;
    }
    for (auto& [key, value] : args.keyword) {
      bool found = false;
      for (size_t i = 0; i < params.size(); ++i) {
        if (params[i].first == key) {
          if (bound[i]) throw TemplateError("macro '" + name + "' got multiple values for argument '" + key + "'");
          local->variables[key] = value;
          bound[i] = found = true;
        }
      }
      if (!found && key == "caller") {
        local->variables["caller"] = value;
        found = true;
      }
      if (!found) throw TemplateError("macro '" + name + "' takes no keyword argument '" + key + "'");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      if (bound[i]) continue;
      local->variables[params[i].first] =
          params[i].second ? interp.eval(*params[i].second, local)
                           : Value::undefined("parameter '" + params[i].first + "' was not provided");
    }
    if (++interp.call_depth_ > interp.limits_.max_call_depth) {
      --interp.call_depth_;
      throw TemplateError("macro calls nested deeper than " + std::to_string(interp.limits_.max_call_depth) +
                          " (runaway recursion?)");
    }
    std::string out;
    try {
      interp.exec_body(definition->body, local, out);
    } catch (...) {
      --interp.call_depth_;
      throw;
    }
    --interp.call_depth_;
    return Value(std::move(out));
  });
}

void Interpreter::exec_call_block(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
  const Expr& call = *stmt.expr;
  const Value callee = eval(*call.children[0], scope);
  CallArgs args = eval_arguments(call, 1, scope);
  args.keyword.emplace_back("caller", make_macro(stmt, scope, "caller"));
  append(out, this->call(callee, args).str());
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) fail_undefined(callee);
  if (!callee.is_callable()) throw TemplateError("'" + callee.type_name() + "' object is not callable");
  count_step();
  return callee.as_callable().function(*this, args);
}

CallArgs Interpreter::eval_arguments(const Expr& expr, size_t first_child, const ScopePtr& scope) {
  CallArgs args;
  for (size_t i = first_child; i < expr.children.size(); ++i) args.positional.push_back(eval(*expr.children[i], scope));
  for (const auto& [key, value] : expr.kwargs) args.keyword.emplace_back(key, eval(*value, scope));
  return args;
}

Value Interpreter::eval(const Expr& expr, const ScopePtr& scope) {
  count_step();
  try {
    return eval_inner(expr, scope);
  } catch (TemplateError& e) {
    e.set_pos_if_unknown(expr.pos);
    throw;
  }
}

Value Interpreter::eval_filter(const Expr& expr, const ScopePtr& scope) {
  Value input;
  if (expr.children[0]) {
    input = eval(*expr.children[0], scope);
  } else if (filter_block_input_) {
    input = *filter_block_input_;
  }
  CallArgs args = eval_arguments(expr, 1, scope);
  return apply_filter(*this, expr.name, input, args);
}

Value Interpreter::eval_compare(const Expr& expr, const ScopePtr& scope) {
  Value left = eval(*expr.children[0], scope);
  for (size_t i = 0; i < expr.ops.size(); ++i) {
    Value right = eval(*expr.children[i + 1], scope);
    if (!compare(expr.ops[i], left, right)) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

Value Interpreter::eval_inner(const Expr& expr, const ScopePtr& scope) {
  switch (expr.kind) {
    case Expr::Kind::kLiteral: return expr.literal;
    case Expr::Kind::kName: {
      const Value* v = scope->lookup(expr.name);
      return v ? *v : Value::undefined("'" + expr.name + "' is undefined");
    }
    case Expr::Kind::kGetAttr: {
      const Value object = eval(*expr.children[0], scope);
      if (object.is_undefined()) fail_undefined(object);
      return get_attribute(object, expr.name);
    }
    case Expr::Kind::kGetItem: {
      const Value object = eval(*expr.children[0], scope);
      if (object.is_undefined()) fail_undefined(object);
      return get_item(object, eval(*expr.children[1], scope));
    }
    case Expr::Kind::kSlice: {
      const Value object = eval(*expr.children[0], scope);
      if (object.is_undefined()) fail_undefined(object);
      std::optional<int64_t> parts[3];
      for (int k = 0; k < 3; ++k) {
        if (!expr.children[k + 1]) continue;
        const Value v = eval(*expr.children[k + 1], scope);
        if (v.is_none()) continue;
        if (!v.is_int() && !v.is_bool()) throw TemplateError("slice indices must be integers or None");
        parts[k] = v.as_int();
      }
      return slice(object, parts[0], parts[1], parts[2]);
    }
    case Expr::Kind::kCall: {
      const Value callee = eval(*expr.children[0], scope);
      CallArgs args = eval_arguments(expr, 1, scope);
      return call(callee, args);
    }
    case Expr::Kind::kFilter: return eval_filter(expr, scope);
    case Expr::Kind::kTest: {
      const Value input = eval(*expr.children[0], scope);
      CallArgs args = eval_arguments(expr, 1, scope);
      return Value(apply_test(*this, expr.name, input, args) != expr.negated);
    }
    case Expr::Kind::kUnary: return unary(expr.name, eval(*expr.children[0], scope));
    case Expr::Kind::kNot: return Value(!eval(*expr.children[0], scope).truthy());
    case Expr::Kind::kBinary: {
      const Value left = eval(*expr.children[0], scope);
      const Value right = eval(*expr.children[1], scope);
      return binary(*this, expr.name, left, right);
    }
    case Expr::Kind::kAnd: {
      Value left = eval(*expr.children[0], scope);
      return left.truthy() ? eval(*expr.children[1], scope) : left;
    }
    case Expr::Kind::kOr: {
      Value left = eval(*expr.children[0], scope);
      return left.truthy() ? left : eval(*expr.children[1], scope);
    }
    case Expr::Kind::kCompare: return eval_compare(expr, scope);
    case Expr::Kind::kConditional:
      if (eval(*expr.children[1], scope).truthy()) return eval(*expr.children[0], scope);
      if (expr.children[2]) return eval(*expr.children[2], scope);
      return Value::undefined("the inline if-expression evaluated to false and no else section was defined");
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      std::vector<Value> items;
      items.reserve(expr.children.size());
      for (const auto& child : expr.children) items.push_back(eval(*child, scope));
      return expr.kind == Expr::Kind::kList ? Value::list(std::move(items)) : Value::tuple(std::move(items));
    }
    case Expr::Kind::kDict: {
      Dict dict;
      for (size_t i = 0; i + 1 < expr.children.size(); i += 2) {
        Value key = eval(*expr.children[i], scope);
        if (key.is_list() && !key.as_list().is_tuple) throw TemplateError("unhashable type: 'list'");
        if (key.is_dict()) throw TemplateError("unhashable type: 'dict'");
        dict.set(std::move(key), eval(*expr.children[i + 1], scope));
      }
      return Value::dict(std::move(dict));
    }
  }
  throw TemplateError("unknown expression");
}

}  // namespace qinfer::jinja
