#include "chat/reasoning_parser.h"

#include <algorithm>
#include <utility>

namespace qinfer::chat {
namespace {

// Only newlines are padding: the Qwen3 template writes "<think>\n" + reasoning + "\n</think>\n\n"
// + content and, reading history back, strips exactly '\n' (lstrip('\n') / strip('\n')). Stripping
// anything more would change the answer text and so the tokens a later turn re-renders.
bool is_padding(char c) { return c == '\n'; }

void strip_leading_padding(std::string& text) {
  size_t n = 0;
  while (n < text.size() && is_padding(text[n])) ++n;
  text.erase(0, n);
}

// Length of the longest proper prefix of `tag` that `text` ends with: bytes that may yet become
// the tag when the next piece arrives.
size_t partial_tag_suffix(std::string_view text, std::string_view tag) {
  for (size_t k = std::min(text.size(), tag.size() - 1); k > 0; --k) {
    if (text.substr(text.size() - k) == tag.substr(0, k)) return k;
  }
  return 0;
}

}  // namespace

ReasoningParser::ReasoningParser(bool starts_in_reasoning, std::string open_tag,
                                 std::string close_tag)
    : open_tag_(std::move(open_tag)),
      close_tag_(std::move(close_tag)),
      state_(starts_in_reasoning ? State::kReasoning : State::kStart),
      saw_reasoning_(starts_in_reasoning),
      skip_leading_padding_(starts_in_reasoning) {}

ReasoningDelta ReasoningParser::push(std::string_view piece) {
  ReasoningDelta delta;
  pending_.append(piece);
  step(delta);
  return delta;
}

// Consumes as much of pending_ as is decided; loops because one piece may hold a whole tag and
// the text after it.
void ReasoningParser::step(ReasoningDelta& delta) {
  for (;;) {
    if (skip_leading_padding_) {
      strip_leading_padding(pending_);
      if (pending_.empty()) return;
      skip_leading_padding_ = false;
    }
    switch (state_) {
      case State::kStart: {
        if (pending_.starts_with(open_tag_)) {
          pending_.erase(0, open_tag_.size());
          state_ = State::kReasoning;
          saw_reasoning_ = true;
          skip_leading_padding_ = true;
          continue;
        }
        if (std::string_view(open_tag_).starts_with(pending_)) return;  // may still become <think>
        state_ = State::kContent;  // no reasoning block: the output is the answer, verbatim
        continue;
      }
      case State::kReasoning: {
        const size_t close = pending_.find(close_tag_);
        if (close != std::string::npos) {
          size_t end = close;
          while (end > 0 && is_padding(pending_[end - 1])) --end;
          delta.reasoning.append(pending_, 0, end);
          pending_.erase(0, close + close_tag_.size());
          state_ = State::kContent;
          skip_leading_padding_ = true;
          continue;
        }
        // Hold back a possible start of </think> and the newlines before it (dropped if the
        // tag follows, shown if more reasoning does).
        size_t cut = pending_.size() - partial_tag_suffix(pending_, close_tag_);
        while (cut > 0 && is_padding(pending_[cut - 1])) --cut;
        delta.reasoning.append(pending_, 0, cut);
        pending_.erase(0, cut);
        return;
      }
      case State::kContent:
        delta.content.append(pending_);
        pending_.clear();
        return;
    }
  }
}

ReasoningDelta ReasoningParser::finish() {
  ReasoningDelta delta;
  if (state_ == State::kReasoning) {
    size_t end = pending_.size();
    while (end > 0 && is_padding(pending_[end - 1])) --end;
    delta.reasoning.append(pending_, 0, end);
  } else {
    delta.content.append(pending_);
  }
  pending_.clear();
  return delta;
}

}  // namespace qinfer::chat
