// The public face of the Jinja interpreter: parse once, render many times. Errors come back as
// values naming the template line and column; nothing throws out of here.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "chat/jinja/ast.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/value.h"

namespace qinfer::jinja {

class Template {
 public:
  // jinja2 with trim_blocks and lstrip_blocks on, as transformers compiles chat templates.
  static Expected<Template> parse(std::string_view source);

  // `variables` are the template's globals, on top of range/namespace/raise_exception/... .
  // A raise_exception() message comes back as "raise_exception: <message> (template line N)".
  Expected<std::string> render(const Dict& variables, const RenderLimits& limits = {}) const;

 private:
  explicit Template(std::shared_ptr<const Body> body) : body_(std::move(body)) {}
  std::shared_ptr<const Body> body_;
};

// "template line 3, column 7: message" (the position part only when known).
std::string describe_error(const TemplateError& error);

}  // namespace qinfer::jinja
