// Splits one choice's streamed output into what the OpenAI API returns: reasoning_content,
// content and tool_calls, as deltas while the text arrives. Qwen3 writes
//
//   <think>\n...reasoning...\n</think>\n\nanswer\n<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>
//
// and may write several <tool_call> blocks in a row. The parser is fed the detokenized pieces of
// one choice (whole UTF-8 sequences) and is the only place that decides what is what, so the
// non-streaming response, built from the same deltas (AssistantMessage::append), agrees with the
// stream by construction.
//
// Layers: this class finds <tool_call> blocks in the raw text; text outside them goes through
// chat::ReasoningParser, which splits <think> from the answer (and strips the template's newline
// padding exactly as the Qwen3 template does). A block's inside is parsed by ToolCallBlockParser.
//
// Holding back (the bug class every incumbent has shipped): text is held only while it may still
// be the start of a tag ("<tool" + "_call>"; ReasoningParser does the same for <think>/</think>)
// or is whitespace that may turn out to be a separator before a tool call, and is released as
// soon as the next piece decides. Any split of the same text gives the same concatenated result.
//
// Tool calls, and the choice of when a block becomes one: a block is held until its "name" string
// is complete and its "arguments" object has begun with every byte so far a valid JSON prefix;
// then the call is announced (a delta with index, id, name and the arguments so far) and every
// further arguments byte is passed on as it arrives. Before that point, a block that breaks the
// grammar (tool_call_parser.h) or never completes is plain text, "<tool_call>" included: nothing
// is lost and a streaming client never sees half a call. After it, the call stands: the output
// ending early (max_tokens) leaves its arguments truncated, as OpenAI's do, and a later grammar
// break ends the call there and the unsent rest of the block becomes content.
//
// Whitespace before a block, between blocks and after the last one is a separator and dropped,
// so a response of calls has no stray whitespace content; whitespace between a call and text that
// follows it is kept with that text (the rare "call, then more words" output reads as written).
//
// Reasoning cut by a call: a <tool_call> the model opens inside <think> ends the reasoning (the
// call is real; vLLM and others miss it). A "</think>" right after such calls, with only
// whitespace between, is the model closing what it already left and is dropped.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/tool_call_parser.h"
#include "chat/reasoning_parser.h"

namespace qinfer::api {

struct ToolCallDelta {
  int index = 0;           // the call's position in this choice's tool_calls
  std::string id;          // on the call's first delta only
  std::string name;        // on the call's first delta only
  std::string arguments;   // the next piece of the arguments JSON text (may be empty)
};

struct OutputDelta {
  std::string reasoning_content;
  std::string content;
  std::vector<ToolCallDelta> tool_calls;

  bool empty() const { return reasoning_content.empty() && content.empty() && tool_calls.empty(); }
};

struct OutputParserOptions {
  // false: <tool_call> is ordinary text (no tools in the request, or tool_choice "none").
  bool parse_tool_calls = true;
  // The prompt already opened <think> (templates of reasoning-only models).
  bool starts_in_reasoning = false;
  // false: no <think> handling, every byte is content (grammar-constrained output is the
  // document itself, and "<think>" inside one of its strings is just text).
  bool parse_reasoning = true;
  // false: at most one call; after it closes the rest of the output is ignored and done() says
  // generation may stop.
  bool parallel_tool_calls = true;
  // Ids for the calls; empty: random "call_<24 hex>" (ids.h).
  std::function<std::string()> make_tool_call_id;
};

class OutputParser {
 public:
  explicit OutputParser(OutputParserOptions options = {});

  // The next piece of output text; returns what can be shown now.
  OutputDelta push(std::string_view piece);
  // The output ended (end of sequence, stop string, length): whatever was held back is settled.
  // Call once, last.
  OutputDelta finish();

  // At least one tool call was announced: the choice's finish_reason is "tool_calls" (unless the
  // token budget ran out, which is "length").
  bool has_tool_calls() const { return call_count_ > 0; }
  // Inside <think>. For usage.completion_tokens_details.reasoning_tokens, count a token as
  // reasoning when this is true before or after its piece is pushed (that includes the tokens of
  // <think> and </think> themselves).
  bool in_reasoning() const { return reasoning_open_ && reasoning_.in_reasoning(); }
  // parallel_tool_calls is false and the one call is complete: nothing more will be shown.
  bool done() const { return mode_ == Mode::kIgnoreRest; }

 private:
  enum class Mode { kText, kToolCall, kIgnoreRest };

  void consume_text(std::string_view& input, OutputDelta& delta);
  void consume_tool_call(std::string_view& input, OutputDelta& delta);
  void emit_text(std::string_view text, OutputDelta& delta);
  void show(std::string_view text, OutputDelta& delta);
  void begin_block();
  void commit_call(OutputDelta& delta);
  void abandon_block(OutputDelta& delta);
  ToolCallDelta& current_call(OutputDelta& delta) const;

  OutputParserOptions options_;
  chat::ReasoningParser reasoning_;
  bool reasoning_open_ = true;     // false once a tool call ended the reasoning part for good
  Mode mode_ = Mode::kText;
  std::string input_;              // this push's input: partial_tag_ + piece
  std::string partial_tag_;        // text mode: a possible tag start at the end of the input
  std::string held_whitespace_;    // text mode: trailing whitespace not yet shown
  bool after_call_ = false;        // only whitespace since the last </tool_call>
  bool drop_think_close_ = false;  // a call cut the reasoning; a following </think> is dropped
  bool skip_padding_ = false;      // whitespace after that dropped </think> is dropped too
  ToolCallBlockParser block_;
  // Tool-call mode: before the commit, the block's text so far (its leading whitespace and
  // "<tool_call>" included); after it, the block's bytes not passed on as arguments.
  std::string block_text_;
  bool committed_ = false;
  int call_count_ = 0;
};

struct ParsedToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // the JSON text as the model wrote it
};

// The non-streaming message of one choice: every delta of its parser, merged in order.
struct AssistantMessage {
  std::string reasoning_content;
  std::string content;
  std::vector<ParsedToolCall> tool_calls;

  void append(const OutputDelta& delta);
};

}  // namespace qinfer::api
