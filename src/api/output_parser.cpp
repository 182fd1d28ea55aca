#include "api/output_parser.h"

#include <algorithm>
#include <utility>

#include "api/ids.h"

namespace qinfer::api {
namespace {

constexpr std::string_view kWhitespace = " \t\r\n";
constexpr std::string_view kThinkCloseTag = "</think>";

// Length of the longest proper prefix of `tag` that `text` ends with: bytes that may yet become
// the tag when the next piece arrives. Tags are ASCII, so the cut is at a character boundary.
size_t partial_tag_suffix(std::string_view text, std::string_view tag) {
  for (size_t k = std::min(text.size(), tag.size() - 1); k > 0; --k) {
    if (text.substr(text.size() - k) == tag.substr(0, k)) return k;
  }
  return 0;
}

void append_reasoning_delta(const chat::ReasoningDelta& from, OutputDelta& to) {
  to.reasoning_content += from.reasoning;
  to.content += from.content;
}

}  // namespace

OutputParser::OutputParser(OutputParserOptions options)
    : options_(std::move(options)), reasoning_(options_.starts_in_reasoning) {
  reasoning_open_ = options_.parse_reasoning;
}

OutputDelta OutputParser::push(std::string_view piece) {
  OutputDelta delta;
  if (mode_ == Mode::kIgnoreRest) return delta;
  if (!options_.parse_tool_calls) {
    show(piece, delta);
    return delta;
  }
  input_.assign(partial_tag_);
  input_.append(piece);
  partial_tag_.clear();
  std::string_view rest = input_;
  while (!rest.empty()) {
    switch (mode_) {
      case Mode::kText: consume_text(rest, delta); break;
      case Mode::kToolCall: consume_tool_call(rest, delta); break;
      case Mode::kIgnoreRest: return delta;
    }
  }
  return delta;
}

// Consumes text up to and including the next tag, or all of it (holding back a possible tag
// start at the end).
void OutputParser::consume_text(std::string_view& input, OutputDelta& delta) {
  const bool think_close_live = drop_think_close_ && after_call_;
  const size_t open = input.find(kToolCallOpenTag);
  const size_t close = think_close_live ? input.find(kThinkCloseTag) : std::string_view::npos;
  if (open == std::string_view::npos && close == std::string_view::npos) {
    size_t keep = partial_tag_suffix(input, kToolCallOpenTag);
    if (think_close_live) keep = std::max(keep, partial_tag_suffix(input, kThinkCloseTag));
    emit_text(input.substr(0, input.size() - keep), delta);
    partial_tag_.assign(input.substr(input.size() - keep));
    input = {};
    return;
  }
  if (close < open) {
    emit_text(input.substr(0, close), delta);
    input.remove_prefix(close);
    const std::string_view tag = input.substr(0, kThinkCloseTag.size());
    input.remove_prefix(tag.size());
    if (after_call_) {  // only whitespace since the call: the stray close is dropped
      drop_think_close_ = false;
      held_whitespace_.clear();
      skip_padding_ = true;
    } else {
      emit_text(tag, delta);  // text came first, so the tag is part of the answer
    }
    return;
  }
  emit_text(input.substr(0, open), delta);
  input.remove_prefix(open + kToolCallOpenTag.size());
  begin_block();
}

void OutputParser::begin_block() {
  block_ = ToolCallBlockParser();
  block_text_.assign(held_whitespace_);
  block_text_.append(kToolCallOpenTag);
  held_whitespace_.clear();
  committed_ = false;
  mode_ = Mode::kToolCall;
}

void OutputParser::consume_tool_call(std::string_view& input, OutputDelta& delta) {
  while (!input.empty()) {
    const char c = input.front();
    const ToolCallBlockParser::Step step = block_.push(c);
    if (step == ToolCallBlockParser::Step::kInvalid) {
      abandon_block(delta);  // `c` stays in the input: it may open the next block
      return;
    }
    input.remove_prefix(1);
    if (!committed_) {
      block_text_.push_back(c);
      if (block_.has_name() && block_.arguments_started()) commit_call(delta);
    } else if (block_.last_byte_in_arguments()) {
      current_call(delta).arguments.push_back(c);
    } else {
      block_text_.push_back(c);
    }
    if (step == ToolCallBlockParser::Step::kClosed) {
      block_text_.clear();
      after_call_ = true;
      mode_ = options_.parallel_tool_calls ? Mode::kText : Mode::kIgnoreRest;
      return;
    }
  }
}

void OutputParser::commit_call(OutputDelta& delta) {
  if (reasoning_open_) {
    // The call ends the reasoning (and whatever answer came before it): settle the held text.
    drop_think_close_ = reasoning_.in_reasoning();
    append_reasoning_delta(reasoning_.finish(), delta);
    reasoning_open_ = false;
  }
  ToolCallDelta call;
  call.index = call_count_++;
  call.id = options_.make_tool_call_id ? options_.make_tool_call_id() : tool_call_id();
  call.name = block_.name();
  call.arguments = block_.arguments();
  delta.tool_calls.push_back(std::move(call));
  block_text_.clear();
  committed_ = true;
}

void OutputParser::abandon_block(OutputDelta& delta) {
  // Before the commit the block was never shown: it is ordinary text. After it, the call keeps
  // what was streamed and ends; the bytes not passed on are text (or, when only one call is
  // allowed, ignored with the rest of the output).
  if (committed_) {
    after_call_ = true;
    if (!options_.parallel_tool_calls) {
      block_text_.clear();
      mode_ = Mode::kIgnoreRest;
      return;
    }
  }
  mode_ = Mode::kText;
  const std::string text = std::exchange(block_text_, std::string());
  emit_text(text, delta);
}

ToolCallDelta& OutputParser::current_call(OutputDelta& delta) const {
  const int index = call_count_ - 1;
  if (delta.tool_calls.empty() || delta.tool_calls.back().index != index) {
    delta.tool_calls.push_back(ToolCallDelta{index, "", "", ""});
  }
  return delta.tool_calls.back();
}

// Text with no tag in it. Whitespace at its end is held back: it is a separator if a tool call
// (or the end of the output after a call) follows, and text otherwise.
void OutputParser::emit_text(std::string_view text, OutputDelta& delta) {
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) {
    held_whitespace_.append(text);
    return;
  }
  const size_t last = text.find_last_not_of(kWhitespace);
  after_call_ = false;
  drop_think_close_ = false;
  if (skip_padding_) {  // the newlines after a dropped </think> are its padding
    held_whitespace_.clear();
    skip_padding_ = false;
  } else {
    held_whitespace_.append(text.substr(0, first));
    show(held_whitespace_, delta);
    held_whitespace_.clear();
  }
  show(text.substr(first, last + 1 - first), delta);
  held_whitespace_.assign(text.substr(last + 1));
}

void OutputParser::show(std::string_view text, OutputDelta& delta) {
  if (text.empty()) return;
  if (reasoning_open_) {
    append_reasoning_delta(reasoning_.push(text), delta);
  } else {
    delta.content.append(text);
  }
}

OutputDelta OutputParser::finish() {
  OutputDelta delta;
  if (mode_ == Mode::kIgnoreRest) return delta;
  if (options_.parse_tool_calls) {
    if (mode_ == Mode::kToolCall) {
      // An unfinished block that never became a call is text; a call cut short keeps what was
      // streamed, and its unsent structural bytes ("}", part of "</tool_call>") are dropped.
      if (!committed_) abandon_block(delta);
      block_text_.clear();
      mode_ = Mode::kText;
    }
    emit_text(std::exchange(partial_tag_, std::string()), delta);
    if (!after_call_) show(held_whitespace_, delta);
    held_whitespace_.clear();
  }
  if (reasoning_open_) append_reasoning_delta(reasoning_.finish(), delta);
  return delta;
}

void AssistantMessage::append(const OutputDelta& delta) {
  reasoning_content += delta.reasoning_content;
  content += delta.content;
  for (const ToolCallDelta& call : delta.tool_calls) {
    if (call.index == static_cast<int>(tool_calls.size())) {
      tool_calls.push_back(ParsedToolCall{call.id, call.name, call.arguments});
    } else {
      tool_calls[static_cast<size_t>(call.index)].arguments += call.arguments;
    }
  }
}

}  // namespace qinfer::api
