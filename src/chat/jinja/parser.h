// Builds the syntax tree from tokens, following jinja2's grammar and operator precedence
// (jinja2/parser.py): conditional < or < and < not < comparisons < + - < ~ < * / // % < ** <
// unary minus < postfix (.attr, [item], call) and filters/tests.
#pragma once

#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/lexer.h"

namespace qinfer::jinja {

// Nesting of blocks and of parenthesised expressions deeper than this is an error, so a hostile
// template cannot exhaust the stack of the recursive-descent parser or of the evaluator.
inline constexpr int kMaxParseDepth = 256;

// Throws TemplateError with the position of the offending token.
Body parse_template(const std::vector<Token>& tokens);

}  // namespace qinfer::jinja
