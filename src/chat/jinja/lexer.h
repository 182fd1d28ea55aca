// Splits a template into text and tag tokens with jinja2's whitespace rules as transformers
// configures them: trim_blocks (drop the first newline after a block or comment tag),
// lstrip_blocks (drop spaces and tabs before a block or comment tag that starts its line),
// `-` on either side of a tag strips all whitespace on that side, `+` opts out of the two
// settings, newlines normalise to "\n" and one trailing newline of the template is dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/error.h"

namespace qinfer::jinja {

enum class TokenKind {
  kText,        // literal template text, after whitespace control
  kPrintBegin,  // {{
  kPrintEnd,    // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,  // text holds the unescaped value
  kInteger,
  kFloat,
  kOperator,  // text holds the operator: "+", "//", "==", "(", ...
  kEnd,
};

struct Token {
  TokenKind kind;
  std::string text;
  SourcePos pos;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Throws TemplateError (with position) on unterminated tags, comments or strings.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options = {});

const char* token_kind_name(TokenKind kind);

}  // namespace qinfer::jinja
