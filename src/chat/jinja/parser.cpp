#include "chat/jinja/parser.h"

#include "chat/jinja/parser_state.h"

#include <cstdlib>
#include <initializer_list>

namespace qinfer::jinja::detail {

// Parses until `{% <one of end_tags>`, leaving the stream at that tag's name.
Body Parser::parse_body(std::initializer_list<const char*> end_tags, const std::string& open_block) {
  DepthGuard guard(*this);
  Body body;
  while (true) {
    const Token& t = peek();
    if (t.kind == TokenKind::kEnd) {
      if (end_tags.size() == 0) return body;
      std::string wanted;
      for (const char* tag : end_tags) wanted += (wanted.empty() ? "'" : " or '") + std::string(tag) + "'";
      fail("unexpected end of template: looking for " + wanted + " to close the '" + open_block + "' block opened at line " +
           std::to_string(open_line_));
    }
    if (t.kind == TokenKind::kText) {
      auto s = std::make_unique<Stmt>();
      s->kind = Stmt::Kind::kText;
      s->pos = t.pos;
      s->text = t.text;
      next();
      body.push_back(std::move(s));
    } else if (t.kind == TokenKind::kPrintBegin) {
      auto s = std::make_unique<Stmt>();
      s->kind = Stmt::Kind::kPrint;
      s->pos = t.pos;
      next();
      s->expr = parse_tuple(false);
      if (peek().kind != TokenKind::kPrintEnd) fail("expected end of print statement '}}', got " + describe(peek()));
      next();
      body.push_back(std::move(s));
    } else if (t.kind == TokenKind::kBlockBegin) {
      const Token& name = peek(1);
      if (name.kind != TokenKind::kName) {
        next();
        fail("expected a statement name after '{%', got " + describe(name));
      }
      for (const char* tag : end_tags) {
        if (name.text == tag) {
          next();
          return body;
        }
      }
      next();
      body.push_back(parse_statement());
    } else {
      fail("unexpected " + describe(t));
    }
  }
}

StmtPtr Parser::parse_statement() {
  const Token& keyword = next();
  auto s = std::make_unique<Stmt>();
  s->pos = keyword.pos;
  const int saved_open_line = open_line_;
  open_line_ = keyword.pos.line;
  const std::string& k = keyword.text;
  if (k == "if") {
    parse_if(*s);
  } else if (k == "for") {
    parse_for(*s);
  } else if (k == "set") {
    parse_set(*s);
  } else if (k == "macro") {
    parse_macro(*s);
  } else if (k == "call") {
    parse_call_block(*s);
  } else if (k == "filter") {
    s->kind = Stmt::Kind::kFilterBlock;
    s->expr = parse_filter_chain(nullptr);
    expect_block_end();
    s->body = parse_body({"endfilter"}, "filter");
    next();
    expect_block_end();
  } else if (k == "break" || k == "continue") {
    if (loop_depth_ == 0) throw TemplateError("'" + k + "' outside of a for loop", keyword.pos);
    s->kind = k == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
    expect_block_end();
  } else if (k == "generation") {
    s->kind = Stmt::Kind::kScope;
    expect_block_end();
    s->body = parse_body({"endgeneration"}, "generation");
    next();
    expect_block_end();
  } else {
    throw TemplateError("unknown or unsupported tag '" + k + "'", keyword.pos);
  }
  open_line_ = saved_open_line;
  return s;
}

void Parser::parse_if(Stmt& s) {
  s.kind = Stmt::Kind::kIf;
  ExprPtr condition = parse_tuple(false);
  expect_block_end();
  while (true) {
    Body body = parse_body({"elif", "else", "endif"}, "if");
    s.branches.emplace_back(std::move(condition), std::move(body));
    const std::string tag = next().text;
    if (tag == "elif") {
      condition = parse_tuple(false);
      expect_block_end();
      continue;
    }
    expect_block_end();
    if (tag == "else") {
      s.else_body = parse_body({"endif"}, "if");
      next();
      expect_block_end();
    }
    return;
  }
}

std::vector<std::string> Parser::parse_targets(const char* what) {
  std::vector<std::string> targets;
  const bool parenthesised = skip_op("(");
  do {
    if (peek().kind != TokenKind::kName) fail(std::string("expected a name to assign in '") + what + "'");
    targets.push_back(next().text);
  } while (skip_op(","));
  if (parenthesised) expect_op(")");
  return targets;
}

void Parser::parse_for(Stmt& s) {
  s.kind = Stmt::Kind::kFor;
  s.targets = parse_targets("for");
  if (!skip_name("in")) fail("expected 'in' in for loop, got " + describe(peek()));
  s.expr = parse_tuple(false, /*stop_at_if=*/true);
  if (skip_name("if")) s.condition = parse_expression(true);
  if (skip_name("recursive")) fail("recursive for loops are not supported");
  expect_block_end();
  ++loop_depth_;
  s.body = parse_body({"else", "endfor"}, "for");
  --loop_depth_;
  if (next().text == "else") {
    expect_block_end();
    s.else_body = parse_body({"endfor"}, "for");
    next();
  }
  expect_block_end();
}

void Parser::parse_set(Stmt& s) {
  s.kind = Stmt::Kind::kSet;
  if (peek().kind == TokenKind::kName && is_op(".", 1)) {
    s.targets.push_back(next().text);
    next();
    s.attribute = expect_name();
  } else {
    s.targets = parse_targets("set");
  }
  if (skip_op("=")) {
    s.expr = parse_tuple(false);
    expect_block_end();
    return;
  }
  if (!s.attribute.empty() || s.targets.size() != 1) fail("expected '=' in set statement");
  s.kind = Stmt::Kind::kSetBlock;
  if (is_op("|")) s.expr = parse_filter_chain(nullptr);
  expect_block_end();
  s.body = parse_body({"endset"}, "set");
  next();
  expect_block_end();
}

void Parser::parse_params(Stmt& s) {
  expect_op("(");
  while (!is_op(")")) {
    if (!s.params.empty()) expect_op(",");
    if (is_op(")")) break;
    std::string name = expect_name();
    ExprPtr default_value;
    if (skip_op("=")) default_value = parse_expression(true);
    s.params.emplace_back(std::move(name), std::move(default_value));
  }
  next();
}

void Parser::parse_macro(Stmt& s) {
  s.kind = Stmt::Kind::kMacro;
  s.name = expect_name();
  parse_params(s);
  expect_block_end();
  const int saved_loops = loop_depth_;
  loop_depth_ = 0;
  s.body = parse_body({"endmacro"}, "macro");
  loop_depth_ = saved_loops;
  next();
  expect_block_end();
}

void Parser::parse_call_block(Stmt& s) {
  s.kind = Stmt::Kind::kCallBlock;
  if (is_op("(")) parse_params(s);
  s.expr = parse_expression(true);
  if (s.expr->kind != Expr::Kind::kCall) throw TemplateError("expected a call in '{% call %}'", s.expr->pos);
  expect_block_end();
  s.body = parse_body({"endcall"}, "call");
  next();
  expect_block_end();
}

}  // namespace qinfer::jinja::detail

namespace qinfer::jinja {

Body parse_template(const std::vector<Token>& tokens) { return detail::Parser(tokens).parse_all(); }

}  // namespace qinfer::jinja
