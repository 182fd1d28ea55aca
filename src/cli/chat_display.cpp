#include "cli/chat_display.h"

namespace qinfer::cli {
namespace {

constexpr const char* kDimGrey = "\x1b[2;90m";
constexpr const char* kReset = "\x1b[0m";

}  // namespace

void ChatDisplay::begin_answer() {
  part_ = Part::kNone;
  saw_reasoning_ = false;
  at_line_start_ = true;
}

void ChatDisplay::switch_to(Part part) {
  if (part == part_) return;
  if (part_ == Part::kReasoning && ansi_) std::fputs(kReset, out_);
  if (part_ != Part::kNone && !at_line_start_) std::fputc('\n', out_);
  if (part == Part::kReasoning) {
    saw_reasoning_ = true;
    if (ansi_) {
      std::fputs(kDimGrey, out_);
    } else {
      std::fputs("[thinking]\n", out_);
    }
  } else if (part == Part::kContent) {
    if (ansi_ && saw_reasoning_) std::fputc('\n', out_);  // a blank line after the reasoning
    if (!ansi_ && saw_reasoning_) std::fputs("[answer]\n", out_);
  }
  part_ = part;
  at_line_start_ = true;
}

void ChatDisplay::show(const chat::ReasoningDelta& delta) {
  if (!delta.reasoning.empty()) {
    switch_to(Part::kReasoning);
    std::fwrite(delta.reasoning.data(), 1, delta.reasoning.size(), out_);
    at_line_start_ = delta.reasoning.back() == '\n';
  }
  if (!delta.content.empty()) {
    switch_to(Part::kContent);
    std::fwrite(delta.content.data(), 1, delta.content.size(), out_);
    at_line_start_ = delta.content.back() == '\n';
  }
  std::fflush(out_);
}

void ChatDisplay::end_answer() {
  if (part_ == Part::kReasoning && ansi_) std::fputs(kReset, out_);
  if (!at_line_start_ || part_ == Part::kNone) std::fputc('\n', out_);
  std::fflush(out_);
  part_ = Part::kNone;
}

}  // namespace qinfer::cli
