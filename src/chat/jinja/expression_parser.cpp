// Expression grammar of the parser (see parser.h for the precedence ladder).
#include <cerrno>
#include <cstdlib>

#include "chat/jinja/parser_state.h"

namespace qinfer::jinja::detail {

// A comma-separated list becomes a tuple; `explicit_parens` allows the empty tuple "()".
ExprPtr Parser::parse_tuple(bool explicit_parens, bool stop_at_if) {
  const SourcePos pos = peek().pos;
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) {
      if (!skip_op(",")) break;
      is_tuple = true;
    }
    const Token& t = peek();
    if (t.kind == TokenKind::kPrintEnd || t.kind == TokenKind::kBlockEnd || is_op(")") ||
        (stop_at_if && (is_name("if") || is_name("recursive")))) {
      break;
    }
    items.push_back(stop_at_if ? parse_or() : parse_expression(true));
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parens) fail("expected an expression, got " + describe(peek()));
  }
  auto tuple = make(Expr::Kind::kTuple, pos);
  tuple->children = std::move(items);
  return tuple;
}

ExprPtr Parser::parse_expression(bool with_condexpr) {
  DepthGuard guard(*this);
  if (!with_condexpr) return parse_or();
  ExprPtr expr = parse_or();
  ChainGuard chain(*this);
  while (is_name("if")) {
    chain.link();
    const SourcePos pos = next().pos;
    auto cond = make(Expr::Kind::kConditional, pos);
    ExprPtr test = parse_or();
    ExprPtr otherwise;
    if (skip_name("else")) otherwise = parse_expression(true);
    cond->children.push_back(std::move(expr));
    cond->children.push_back(std::move(test));
    cond->children.push_back(std::move(otherwise));
    expr = std::move(cond);
  }
  return expr;
}

ExprPtr Parser::binary(Expr::Kind kind, const std::string& op, ExprPtr left, ExprPtr right, SourcePos pos) {
  auto e = make(kind, pos);
  e->name = op;
  e->children.push_back(std::move(left));
  e->children.push_back(std::move(right));
  return e;
}

ExprPtr Parser::parse_or() {
  ExprPtr left = parse_and();
  ChainGuard chain(*this);
  while (is_name("or")) {
    chain.link();
    const SourcePos pos = next().pos;
    left = binary(Expr::Kind::kOr, "or", std::move(left), parse_and(), pos);
  }
  return left;
}

ExprPtr Parser::parse_and() {
  ExprPtr left = parse_not();
  ChainGuard chain(*this);
  while (is_name("and")) {
    chain.link();
    const SourcePos pos = next().pos;
    left = binary(Expr::Kind::kAnd, "and", std::move(left), parse_not(), pos);
  }
  return left;
}

ExprPtr Parser::parse_not() {
  if (is_name("not")) {
    DepthGuard guard(*this);
    auto e = make(Expr::Kind::kNot, next().pos);
    e->children.push_back(parse_not());
    return e;
  }
  return parse_compare();
}

ExprPtr Parser::parse_compare() {
  const SourcePos pos = peek().pos;
  ExprPtr first = parse_math1();
  auto e = make(Expr::Kind::kCompare, pos);
  e->children.push_back(std::move(first));
  ChainGuard chain(*this);
  while (true) {
    chain.link();
    std::string op;
    if (peek().kind == TokenKind::kOperator &&
        (peek().text == "==" || peek().text == "!=" || peek().text == "<" || peek().text == "<=" ||
         peek().text == ">" || peek().text == ">=")) {
      op = next().text;
    } else if (is_name("in")) {
      next();
      op = "in";
    } else if (is_name("not") && is_name("in", 1)) {
      next();
      next();
      op = "not in";
    } else {
      break;
    }
    e->ops.push_back(op);
    e->children.push_back(parse_math1());
  }
  if (e->ops.empty()) return std::move(e->children[0]);
  return e;
}

ExprPtr Parser::parse_math1() {
  ExprPtr left = parse_concat();
  ChainGuard chain(*this);
  while (is_op("+") || is_op("-")) {
    chain.link();
    const Token& op = next();
    left = binary(Expr::Kind::kBinary, op.text, std::move(left), parse_concat(), op.pos);
  }
  return left;
}

ExprPtr Parser::parse_concat() {
  ExprPtr left = parse_math2();
  ChainGuard chain(*this);
  while (is_op("~")) {
    chain.link();
    const Token& op = next();
    left = binary(Expr::Kind::kBinary, "~", std::move(left), parse_math2(), op.pos);
  }
  return left;
}

ExprPtr Parser::parse_math2() {
  ExprPtr left = parse_pow();
  ChainGuard chain(*this);
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    chain.link();
    const Token& op = next();
    left = binary(Expr::Kind::kBinary, op.text, std::move(left), parse_pow(), op.pos);
  }
  return left;
}

ExprPtr Parser::parse_pow() {
  ExprPtr left = parse_unary(true);
  ChainGuard chain(*this);
  while (is_op("**")) {
    chain.link();
    const Token& op = next();
    left = binary(Expr::Kind::kBinary, "**", std::move(left), parse_unary(true), op.pos);
  }
  return left;
}

ExprPtr Parser::parse_unary(bool with_filter) {
  DepthGuard guard(*this);
  ExprPtr node;
  if (is_op("-") || is_op("+")) {
    const Token& op = next();
    node = make(Expr::Kind::kUnary, op.pos);
    node->name = op.text;
    node->children.push_back(parse_unary(false));
  } else {
    node = parse_primary();
  }
  node = parse_postfix(std::move(node));
  if (with_filter) node = parse_filter_expr(std::move(node));
  return node;
}

ExprPtr Parser::parse_primary() {
  const Token& t = peek();
  switch (t.kind) {
    case TokenKind::kName: {
      next();
      auto e = make(Expr::Kind::kLiteral, t.pos);
      if (t.text == "true" || t.text == "True") {
        e->literal = Value(true);
      } else if (t.text == "false" || t.text == "False") {
        e->literal = Value(false);
      } else if (t.text == "none" || t.text == "None") {
        e->literal = Value::none();
      } else {
        e->kind = Expr::Kind::kName;
        e->name = t.text;
      }
      return e;
    }
    case TokenKind::kString: {
      auto e = make(Expr::Kind::kLiteral, t.pos);
      std::string text;
      while (peek().kind == TokenKind::kString) text += next().text;  // "a" "b" == "ab"
      e->literal = Value(std::move(text));
      return e;
    }
    case TokenKind::kInteger: {
      next();
      auto e = make(Expr::Kind::kLiteral, t.pos);
      errno = 0;
      const long long v = std::strtoll(t.text.c_str(), nullptr, 10);
      if (errno == ERANGE) throw TemplateError("integer literal out of range: " + t.text, t.pos);
      e->literal = Value(static_cast<int64_t>(v));
      return e;
    }
    case TokenKind::kFloat: {
      next();
      auto e = make(Expr::Kind::kLiteral, t.pos);
      e->literal = Value(std::strtod(t.text.c_str(), nullptr));
      return e;
    }
    case TokenKind::kOperator:
      if (t.text == "(") {
        next();
        ExprPtr inner = parse_tuple(true);
        expect_op(")");
        return inner;
      }
      if (t.text == "[") return parse_list();
      if (t.text == "{") return parse_dict();
      break;
    default: break;
  }
  fail("unexpected " + describe(t) + " in expression");
}

ExprPtr Parser::parse_list() {
  auto e = make(Expr::Kind::kList, next().pos);
  while (!is_op("]")) {
    if (!e->children.empty()) expect_op(",");
    if (is_op("]")) break;
    e->children.push_back(parse_expression(true));
  }
  next();
  return e;
}

ExprPtr Parser::parse_dict() {
  auto e = make(Expr::Kind::kDict, next().pos);
  while (!is_op("}")) {
    if (!e->children.empty()) expect_op(",");
    if (is_op("}")) break;
    e->children.push_back(parse_expression(true));
    expect_op(":");
    e->children.push_back(parse_expression(true));
  }
  next();
  return e;
}

ExprPtr Parser::parse_postfix(ExprPtr node) {
  ChainGuard chain(*this);
  while (true) {
    chain.link();
    if (is_op(".")) {
      const SourcePos pos = next().pos;
      if (peek().kind == TokenKind::kInteger) {
        auto item = make(Expr::Kind::kGetItem, pos);
        auto index = make(Expr::Kind::kLiteral, peek().pos);
        index->literal = Value(static_cast<int64_t>(std::strtoll(next().text.c_str(), nullptr, 10)));
        item->children.push_back(std::move(node));
        item->children.push_back(std::move(index));
        node = std::move(item);
      } else {
        auto attr = make(Expr::Kind::kGetAttr, pos);
        attr->name = expect_name();
        attr->children.push_back(std::move(node));
        node = std::move(attr);
      }
    } else if (is_op("[")) {
      node = parse_subscript(std::move(node));
    } else if (is_op("(")) {
      node = parse_call(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr Parser::parse_slice_part() {
  if (is_op(":") || is_op("]") || is_op(",")) return nullptr;
  return parse_expression(true);
}

ExprPtr Parser::parse_subscript(ExprPtr node) {
  const SourcePos pos = next().pos;  // '['
  ExprPtr start = parse_slice_part();
  if (!is_op(":")) {
    if (!start) fail("expected an index or slice, got " + describe(peek()));
    expect_op("]");
    auto item = make(Expr::Kind::kGetItem, pos);
    item->children.push_back(std::move(node));
    item->children.push_back(std::move(start));
    return item;
  }
  next();
  auto slice = make(Expr::Kind::kSlice, pos);
  ExprPtr stop = parse_slice_part();
  ExprPtr step;
  if (skip_op(":")) step = parse_slice_part();
  expect_op("]");
  slice->children.push_back(std::move(node));
  slice->children.push_back(std::move(start));
  slice->children.push_back(std::move(stop));
  slice->children.push_back(std::move(step));
  return slice;
}

// Arguments of a call, filter or test: positional first, then name=value.
void Parser::parse_arguments(Expr& e) {
  expect_op("(");
  bool first = true;
  while (!is_op(")")) {
    if (!first) expect_op(",");
    first = false;
    if (is_op(")")) break;
    if (peek().kind == TokenKind::kName && is_op("=", 1)) {
      std::string key = next().text;
      next();
      e.kwargs.emplace_back(std::move(key), parse_expression(true));
    } else {
      if (!e.kwargs.empty()) fail("positional argument follows keyword argument");
      e.children.push_back(parse_expression(true));
    }
  }
  next();
}

ExprPtr Parser::parse_call(ExprPtr callee) {
  DepthGuard guard(*this);
  auto call = make(Expr::Kind::kCall, callee->pos);
  call->children.push_back(std::move(callee));
  parse_arguments(*call);
  return call;
}

std::string Parser::parse_dotted_name() {
  std::string name = expect_name();
  while (is_op(".")) {
    next();
    name += ".";
    name += expect_name();
  }
  return name;
}

ExprPtr Parser::parse_filter_chain(ExprPtr node) {
  // The first '|' is optional after {% filter %} and {% set x %}.
  bool first = true;
  ChainGuard chain(*this);
  while (first || is_op("|")) {
    chain.link();
    if (is_op("|")) next();
    first = false;
    auto filter = make(Expr::Kind::kFilter, peek().pos);
    filter->name = parse_dotted_name();
    filter->children.push_back(std::move(node));
    if (is_op("(")) parse_arguments(*filter);
    node = std::move(filter);
  }
  return node;
}

ExprPtr Parser::parse_filter_expr(ExprPtr node) {
  ChainGuard chain(*this);
  while (true) {
    chain.link();
    if (is_op("|")) {
      node = parse_filter_chain(std::move(node));
    } else if (is_name("is")) {
      auto test = make(Expr::Kind::kTest, next().pos);
      test->negated = skip_name("not");
      test->name = parse_dotted_name();
      test->children.push_back(std::move(node));
      const Token& t = peek();
      if (is_op("(")) {
        parse_arguments(*test);
      } else if ((t.kind == TokenKind::kName || t.kind == TokenKind::kString || t.kind == TokenKind::kInteger ||
                  t.kind == TokenKind::kFloat || is_op("[") || is_op("{")) &&
                 !is_name("else") && !is_name("or") && !is_name("and")) {
        if (is_name("is")) fail("cannot chain multiple tests with 'is'");
        test->children.push_back(parse_postfix(parse_primary()));
      }
      node = std::move(test);
    } else if (is_op("(")) {
      node = parse_call(std::move(node));
    } else {
      return node;
    }
  }
}

}  // namespace qinfer::jinja::detail
