// The recursive-descent parser's state and grammar rules, shared by parser.cpp (statements) and
// expression_parser.cpp (expressions). Internal to src/chat/jinja.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/lexer.h"
#include "chat/jinja/parser.h"

namespace qinfer::jinja::detail {

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  Body parse_all() {
    Body body = parse_body({}, "");
    if (peek().kind != TokenKind::kEnd) fail("unexpected '" + peek().text + "'");
    return body;
  }

 private:
  // --- token stream -------------------------------------------------------------------------
  const Token& peek(size_t ahead = 0) const {
    const size_t at = std::min(index_ + ahead, tokens_.size() - 1);
    return tokens_[at];
  }
  const Token& next() {
    const Token& t = peek();
    if (index_ < tokens_.size() - 1) ++index_;
    return t;
  }
  bool is_op(const char* op, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kOperator && peek(ahead).text == op;
  }
  bool is_name(const char* name, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kName && peek(ahead).text == name;
  }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const std::string& message) const { throw TemplateError(message, peek().pos); }
  static std::string describe(const Token& t) {
    if (t.kind == TokenKind::kOperator || t.kind == TokenKind::kName) return "'" + t.text + "'";
    return token_kind_name(t.kind);
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) fail(std::string("expected '") + op + "', got " + describe(peek()));
  }
  void expect_block_end() {
    if (peek().kind != TokenKind::kBlockEnd) fail("expected end of statement '%}', got " + describe(peek()));
    next();
  }
  std::string expect_name() {
    if (peek().kind != TokenKind::kName) fail("expected a name, got " + describe(peek()));
    return next().text;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxParseDepth) {
        parser.fail("template nesting is deeper than " + std::to_string(kMaxParseDepth) + " levels");
      }
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  // A left-deep chain (a + b + c ..., x.y.z ..., v|f|g ...) is as deep a tree as nested brackets,
  // so each link counts against the same limit.
  struct ChainGuard {
    explicit ChainGuard(Parser& p) : parser(p) {}
    void link() {
      ++links;
      if (++parser.depth_ > kMaxParseDepth) {
        parser.fail("expression is nested deeper than " + std::to_string(kMaxParseDepth) + " levels");
      }
    }
    ~ChainGuard() { parser.depth_ -= links; }
    Parser& parser;
    int links = 0;
  };

  static ExprPtr make(Expr::Kind kind, SourcePos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  // --- statements (parser.cpp) -------------------------------------------------------------
  // Parses until `{% <one of end_tags>`, leaving the stream at that tag's name.
  Body parse_body(std::initializer_list<const char*> end_tags, const std::string& open_block);
  StmtPtr parse_statement();
  void parse_if(Stmt& s);
  std::vector<std::string> parse_targets(const char* what);
  void parse_for(Stmt& s);
  void parse_set(Stmt& s);
  void parse_params(Stmt& s);
  void parse_macro(Stmt& s);
  void parse_call_block(Stmt& s);

  // --- expressions (expression_parser.cpp) -------------------------------------------------
  // A comma-separated list becomes a tuple; `explicit_parens` allows the empty tuple "()".
  ExprPtr parse_tuple(bool explicit_parens, bool stop_at_if = false);
  ExprPtr parse_expression(bool with_condexpr);
  ExprPtr binary(Expr::Kind kind, const std::string& op, ExprPtr left, ExprPtr right, SourcePos pos);
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_list();
  ExprPtr parse_dict();
  ExprPtr parse_postfix(ExprPtr node);
  ExprPtr parse_slice_part();
  ExprPtr parse_subscript(ExprPtr node);
  // Arguments of a call, filter or test: positional first, then name=value.
  void parse_arguments(Expr& e);
  ExprPtr parse_call(ExprPtr callee);
  std::string parse_dotted_name();
  ExprPtr parse_filter_chain(ExprPtr node);
  ExprPtr parse_filter_expr(ExprPtr node);

  const std::vector<Token>& tokens_;
  size_t index_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  int open_line_ = 0;
};

}  // namespace qinfer::jinja::detail
