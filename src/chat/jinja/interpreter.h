// Walks the syntax tree and renders text, with jinja2's semantics as transformers runs it
// (ImmutableSandboxedEnvironment: lists and dicts cannot be mutated, ranges are capped) and hard
// limits so that a hostile template fails with a message instead of hanging or exhausting memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "chat/jinja/ast.h"
#include "chat/jinja/value.h"

namespace qinfer::jinja {

struct RenderLimits {
  size_t max_output_bytes = 64u << 20;  // also caps any single string or list a template builds
  uint64_t max_steps = 50'000'000;      // statements + expressions + loop iterations
  int max_call_depth = 100;             // macro recursion
};

struct Scope {
  std::unordered_map<std::string, Value> variables;
  std::shared_ptr<Scope> parent;

  const Value* lookup(const std::string& name) const;
};
using ScopePtr = std::shared_ptr<Scope>;

class Interpreter {
 public:
  explicit Interpreter(const RenderLimits& limits) : limits_(limits) {}

  // Renders `body` with `globals` as the outermost scope. Throws TemplateError.
  std::string render(const Body& body, ScopePtr globals);

  // Calls a template-visible function (macro, builtin, bound method).
  Value call(const Value& callee, CallArgs& args);

  // Throws when a string or list the template builds would pass the output limit.
  void check_size(size_t bytes_or_items) const;
  void count_step();

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec_body(const Body& body, const ScopePtr& scope, std::string& out);
  Flow exec(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  Flow exec_for(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  void exec_set(const Stmt& stmt, const ScopePtr& scope);
  void exec_call_block(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  Value make_macro(const Stmt& stmt, const ScopePtr& scope, const std::string& name);
  void append(std::string& out, const std::string& text) const;

  Value eval(const Expr& expr, const ScopePtr& scope);
  Value eval_inner(const Expr& expr, const ScopePtr& scope);
  Value eval_filter(const Expr& expr, const ScopePtr& scope);
  Value eval_compare(const Expr& expr, const ScopePtr& scope);
  CallArgs eval_arguments(const Expr& expr, size_t first_child, const ScopePtr& scope);

  RenderLimits limits_;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
  // The rendered body of the innermost {% filter %} block, the operand of its filter chain.
  const Value* filter_block_input_ = nullptr;
};

}  // namespace qinfer::jinja
