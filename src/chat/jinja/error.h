// Template errors inside the interpreter travel as exceptions (deep recursion makes threading
// Expected through every evaluation step noisy); Template::parse/render convert them to Error
// values at the module boundary, so nothing outside src/chat/jinja ever sees one.
#pragma once

#include <stdexcept>
#include <string>

namespace qinfer::jinja {

// A position in the template source, 1-based; line 0 means "unknown".
struct SourcePos {
  int line = 0;
  int column = 0;
};

class TemplateError : public std::runtime_error {
 public:
  TemplateError(std::string message, SourcePos pos = {})
      : std::runtime_error(message), message_(std::move(message)), pos_(pos) {}

  const std::string& message() const { return message_; }
  SourcePos pos() const { return pos_; }
  // Errors raised deep in a helper do not know where they are; the evaluator fills the position of
  // the node being evaluated on the way out.
  void set_pos_if_unknown(SourcePos pos) {
    if (pos_.line == 0) pos_ = pos;
  }
  // raise_exception() messages are the template author's words and are reported as such.
  bool raised_by_template = false;

 private:
  std::string message_;
  SourcePos pos_;
};

}  // namespace qinfer::jinja
