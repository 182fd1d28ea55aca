// Splits streamed model output into reasoning (between <think> and </think>) and the answer, the
// way Qwen3 writes them: with enable_thinking the output is "<think>\n...\n</think>\n\nanswer"; in
// non-thinking mode the template already put an empty think block into the prompt, so the output
// is the answer alone. Reasoning-first models whose template opens <think> in the prompt start
// inside the reasoning (`starts_in_reasoning`).
//
// Pieces arrive as the detokenizer hands them out, so a tag may be split across pieces ("</th" +
// "ink>"): text that could still be the start of a tag is held back until the next piece decides.
// Newlines right after each tag and right before </think> are dropped: the template's padding,
// stripped exactly as the Qwen3 template strips it when it reads an answer back from history
// (lstrip('\n') / strip('\n')), so content sent back re-renders to the tokens the model made.
// Everything else, spaces included, is kept verbatim. Only a <think> at the very start opens
// reasoning; once the answer has begun, tags are ordinary text.
//
// The concatenation of all deltas (plus finish()) is the output minus the tags and that padding.
// Cost per piece is O(piece + tag length); nothing is copied twice.
#pragma once

#include <string>
#include <string_view>

namespace qinfer::chat {

struct ReasoningDelta {
  std::string reasoning;  // new reasoning text, possibly empty
  std::string content;    // new answer text, possibly empty
};

class ReasoningParser {
 public:
  explicit ReasoningParser(bool starts_in_reasoning = false, std::string open_tag = "<think>",
                           std::string close_tag = "</think>");

  // Feeds the next piece of output; returns what can be shown now.
  ReasoningDelta push(std::string_view piece);
  // The output ended: whatever was held back is text after all (an unfinished tag is text; an
  // unclosed reasoning block stays reasoning).
  ReasoningDelta finish();

  bool in_reasoning() const { return state_ == State::kReasoning; }
  // True once any reasoning block was opened (the caller may label the answer that follows).
  bool saw_reasoning() const { return saw_reasoning_; }

 private:
  enum class State { kStart, kReasoning, kContent };
  void step(ReasoningDelta& delta);

  std::string open_tag_;
  std::string close_tag_;
  State state_;
  bool saw_reasoning_ = false;
  bool skip_leading_padding_;       // drop newlines at the start of the current part
  std::string pending_;             // held back: a possible tag start, or trailing whitespace
};

}  // namespace qinfer::chat
