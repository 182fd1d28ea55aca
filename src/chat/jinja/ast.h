// Syntax tree of a parsed template. One node type per level (expressions, statements) with a kind
// tag; the fields each kind uses are listed next to it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/error.h"
#include "chat/jinja/value.h"

namespace qinfer::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
using KeywordArgs = std::vector<std::pair<std::string, ExprPtr>>;

struct Expr {
  enum class Kind {
    kLiteral,      // literal
    kName,         // name
    kGetAttr,      // children[0].name
    kGetItem,      // children[0][children[1]]
    kSlice,        // children[0][children[1]:children[2]:children[3]], absent parts null
    kCall,         // children[0](children[1..], kwargs)
    kFilter,       // children[0] | name(children[1..], kwargs); children[0] null in {% filter %}
    kTest,         // children[0] is [not] name(children[1..]); negated
    kUnary,        // name ("-" or "+") children[0]
    kNot,          // not children[0]
    kBinary,       // children[0] name children[1], name in + - * / // % ** ~
    kAnd,          // children[0] and children[1]
    kOr,           // children[0] or children[1]
    kCompare,      // children[0] ops[0] children[1] ops[1] children[2] ... (chained like Python)
    kConditional,  // children[0] if children[1] else children[2] (null: undefined)
    kList,         // [children...]
    kTuple,        // (children...)
    kDict,         // {children[0]: children[1], ...}
  };

  Kind kind;
  SourcePos pos;
  Value literal;
  std::string name;
  std::vector<ExprPtr> children;
  KeywordArgs kwargs;
  std::vector<std::string> ops;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    kText,         // text
    kPrint,        // {{ expr }}
    kIf,           // branches: (condition, body)...; else_body
    kFor,          // for targets in expr [if condition] body [else else_body]
    kSet,          // set targets = expr, or set targets[0].attribute = expr
    kSetBlock,     // set targets[0] %}body{% endset (optionally filtered by expr)
    kMacro,        // macro name(params) body
    kCallBlock,    // call(params) expr (a call of a macro) body becomes `caller`
    kFilterBlock,  // filter expr (a kFilter with null operand) body
    kBreak,
    kContinue,
    kScope,        // body rendered in place ({% generation %} of transformers' templates)
  };

  Kind kind;
  SourcePos pos;
  std::string text;
  ExprPtr expr;
  std::vector<std::string> targets;
  std::string attribute;
  ExprPtr condition;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::string name;
  std::vector<std::pair<std::string, ExprPtr>> params;  // null default: required
};

}  // namespace qinfer::jinja
