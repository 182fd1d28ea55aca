// How `qinfer chat` shows an answer as it streams: reasoning apart from the answer. On a
// terminal the reasoning is dim grey (SGR 2 / 90) and the answer plain; on a pipe there are no
// escape codes, the reasoning comes under a "[thinking]" line and the answer under "[answer]",
// so a script can tell them apart.
#pragma once

#include <cstdio>
#include <string>

#include "chat/reasoning_parser.h"

namespace qinfer::cli {

class ChatDisplay {
 public:
  ChatDisplay(std::FILE* out, bool ansi) : out_(out), ansi_(ansi) {}

  void begin_answer();
  void show(const chat::ReasoningDelta& delta);
  // Ends the answer with a newline (and resets the colour).
  void end_answer();

 private:
  enum class Part { kNone, kReasoning, kContent };
  void switch_to(Part part);

  std::FILE* out_;
  bool ansi_;
  Part part_ = Part::kNone;
  bool saw_reasoning_ = false;
  bool at_line_start_ = true;
};

}  // namespace qinfer::cli
