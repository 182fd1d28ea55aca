#include "chat/jinja/template.h"

#include "chat/jinja/builtins.h"
#include "chat/jinja/lexer.h"
#include "chat/jinja/parser.h"

namespace qinfer::jinja {

std::string describe_error(const TemplateError& error) {
  std::string where;
  if (error.pos().line > 0) {
    where = "template line " + std::to_string(error.pos().line) + ", column " + std::to_string(error.pos().column);
  }
  if (error.raised_by_template) {
    return "raise_exception: " + error.message() + (where.empty() ? "" : " (" + where + ")");
  }
  return (where.empty() ? "template error" : where) + ": " + error.message();
}

Expected<Template> Template::parse(std::string_view source) {
  try {
    auto body = std::make_shared<Body>(parse_template(tokenize(source)));
    return Template(std::move(body));
  } catch (const TemplateError& e) {
    return make_error("cannot parse chat template: {}", describe_error(e));
  }
}

Expected<std::string> Template::render(const Dict& variables, const RenderLimits& limits) const {
  try {
    auto globals = std::make_shared<Scope>();
    for (auto& [key, value] : make_globals().entries) globals->variables[key.as_string()] = value;
    for (const auto& [key, value] : variables.entries) {
      if (!key.is_string()) return make_error("template variable names must be strings, got {}", key.repr());
      globals->variables[key.as_string()] = value;
    }
    Interpreter interpreter(limits);
    return interpreter.render(*body_, globals);
  } catch (const TemplateError& e) {
    return make_error("{}", describe_error(e));
  } catch (const std::bad_alloc&) {
    return make_error("template rendering ran out of memory");
  }
}

}  // namespace qinfer::jinja
