#include "api/output_parser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sampling/stop_strings.h"

namespace qinfer::api {
namespace {

OutputParserOptions test_options(bool parse_tool_calls = true) {
  OutputParserOptions options;
  options.parse_tool_calls = parse_tool_calls;
  auto counter = std::make_shared<int>(0);
  options.make_tool_call_id = [counter] { return "call_" + std::to_string((*counter)++); };
  return options;
}

struct FedOutput {
  AssistantMessage message;
  bool has_tool_calls = false;
  std::vector<OutputDelta> deltas;
};

// Feeds the pieces, checking the streaming contract on the way: every delta is valid UTF-8, a
// call's first delta carries its id and name and later ones only arguments, calls start in order.
FedOutput feed(const std::vector<std::string>& pieces, OutputParserOptions options = test_options()) {
  OutputParser parser(std::move(options));
  FedOutput run;
  int calls_started = 0;
  auto take = [&](OutputDelta delta) {
    EXPECT_TRUE(is_valid_utf8(delta.content)) << delta.content;
    EXPECT_TRUE(is_valid_utf8(delta.reasoning_content)) << delta.reasoning_content;
    for (const ToolCallDelta& call : delta.tool_calls) {
      EXPECT_TRUE(is_valid_utf8(call.arguments)) << call.arguments;
      if (call.index == calls_started) {
        EXPECT_FALSE(call.id.empty());
        EXPECT_FALSE(call.name.empty());
        ++calls_started;
      } else {
        EXPECT_LT(call.index, calls_started);
        EXPECT_TRUE(call.id.empty());
        EXPECT_TRUE(call.name.empty());
      }
    }
    run.message.append(delta);
    run.deltas.push_back(std::move(delta));
  };
  for (const std::string& piece : pieces) take(parser.push(piece));
  take(parser.finish());
  run.has_tool_calls = parser.has_tool_calls();
  EXPECT_EQ(run.has_tool_calls, !run.message.tool_calls.empty());
  return run;
}

struct Expected {
  std::string reasoning;
  std::string content;
  std::vector<std::pair<std::string, std::string>> calls;  // name, arguments
};

void expect_message(const FedOutput& run, const Expected& expected, const std::string& where) {
  EXPECT_EQ(run.message.reasoning_content, expected.reasoning) << where;
  EXPECT_EQ(run.message.content, expected.content) << where;
  ASSERT_EQ(run.message.tool_calls.size(), expected.calls.size()) << where;
  for (size_t i = 0; i < expected.calls.size(); ++i) {
    EXPECT_EQ(run.message.tool_calls[i].id, "call_" + std::to_string(i)) << where;
    EXPECT_EQ(run.message.tool_calls[i].name, expected.calls[i].first) << where;
    EXPECT_EQ(run.message.tool_calls[i].arguments, expected.calls[i].second) << where;
  }
}

// Byte offsets where the detokenizer may cut: never inside a UTF-8 sequence.
std::vector<size_t> character_boundaries(const std::string& text) {
  std::vector<size_t> cuts;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) cuts.push_back(i);
  }
  return cuts;
}

// The property: however the output is cut into pieces (once, twice, or at every character), the
// concatenated reasoning, content and tool calls are the same, and equal `expected`.
void expect_everywhere(const std::string& text, const Expected& expected,
                       const OutputParserOptions& options = test_options()) {
  auto fresh = [&] {
    OutputParserOptions copy = options;
    auto counter = std::make_shared<int>(0);
    copy.make_tool_call_id = [counter] { return "call_" + std::to_string((*counter)++); };
    return copy;
  };
  expect_message(feed({text}, fresh()), expected, "one piece");
  const std::vector<size_t> cuts = character_boundaries(text);
  for (size_t a : cuts) {
    expect_message(feed({text.substr(0, a), text.substr(a)}, fresh()), expected,
                   "cut at " + std::to_string(a));
    if (::testing::Test::HasFailure()) return;
    for (size_t b : cuts) {
      if (b <= a) continue;
      expect_message(feed({text.substr(0, a), text.substr(a, b - a), text.substr(b)}, fresh()), expected,
                     "cuts at " + std::to_string(a) + ", " + std::to_string(b));
      if (::testing::Test::HasFailure()) return;
    }
  }
  std::vector<std::string> characters;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) characters.push_back(text.substr(cuts[i], cuts[i + 1] - cuts[i]));
  expect_message(feed(characters, fresh()), expected, "one character at a time");
}

const std::string kOrderCall =
    "<tool_call>\n{\"name\": \"get_order\", \"arguments\": {\"order_id\": \"A1\"}}\n</tool_call>";
const std::string kShippingCall =
    "<tool_call>\n{\"name\": \"track_shipment\", \"arguments\": {\"tracking\": \"1Z9\", \"verbose\": true}}\n"
    "</tool_call>";

TEST(OutputParser, PlainContent) {
  expect_everywhere("Hello, world. 1 < 2 and <b>bold</b>.", {"", "Hello, world. 1 < 2 and <b>bold</b>.", {}});
}

TEST(OutputParser, ReasoningThenAnswer) {
  expect_everywhere("<think>\nLet me think.\nTwo steps.\n</think>\n\nThe answer is 4.",
                    {"Let me think.\nTwo steps.", "The answer is 4.", {}});
}

TEST(OutputParser, ReasoningThenOneToolCall) {
  expect_everywhere("<think>\nThe user wants order A1.\n</think>\n\n" + kOrderCall,
                    {"The user wants order A1.", "", {{"get_order", "{\"order_id\": \"A1\"}"}}});
}

TEST(OutputParser, SeveralCallsInARowWithoutStrayWhitespace) {
  expect_everywhere("\n" + kOrderCall + "\n" + kShippingCall + "\n\n",
                    {"", "", {{"get_order", "{\"order_id\": \"A1\"}"},
                              {"track_shipment", "{\"tracking\": \"1Z9\", \"verbose\": true}"}}});
  expect_everywhere(kOrderCall + kShippingCall,
                    {"", "", {{"get_order", "{\"order_id\": \"A1\"}"},
                              {"track_shipment", "{\"tracking\": \"1Z9\", \"verbose\": true}"}}});
}

TEST(OutputParser, ContentBeforeAndAfterCalls) {
  expect_everywhere("Let me check that order.\n" + kOrderCall + "\nOne moment.",
                    {"", "Let me check that order.\nOne moment.", {{"get_order", "{\"order_id\": \"A1\"}"}}});
}

TEST(OutputParser, ToolCallOpenedInsideReasoningEndsIt) {
  expect_everywhere("<think>\nI will look it up.\n" + kOrderCall + "\n</think>\n\n",
                    {"I will look it up.", "", {{"get_order", "{\"order_id\": \"A1\"}"}}});
  expect_everywhere("<think>\nLooking up.\n" + kOrderCall + "\n</think>\n\nIt has shipped.",
                    {"Looking up.", "It has shipped.", {{"get_order", "{\"order_id\": \"A1\"}"}}});
  // The stray </think> is dropped only right after the calls; later it is text.
  expect_everywhere("<think>\nx\n" + kOrderCall + "\nSee </think>",
                    {"x", "\nSee </think>", {{"get_order", "{\"order_id\": \"A1\"}"}}});
}

TEST(OutputParser, BrokenBlocksAreReturnedAsContent) {
  for (const std::string& text : {
           std::string("<tool_call>\n{\"name\": get_order}\n</tool_call>"),
           std::string("<tool_call>\n{\"name\": \"get_order\"}\n</tool_call>"),      // no arguments
           std::string("<tool_call>\n{\"arguments\": {}}\n</tool_call>"),           // no name
           std::string("<tool_call>\n{\"name\": \"\", \"arguments\": {}}\n</tool_call>"),
           std::string("<tool_call>\n{\"name\": 7, \"arguments\": {}}\n</tool_call>"),
           std::string("<tool_call>\n{\"name\": \"f\", \"arguments\": \"{}\"}\n</tool_call>"),
           std::string("<tool_call>\nget_order(A1)\n</tool_call>"),
           std::string("<tool_call>\n{\"name\": \"f\", \"name\": \"g\", \"arguments\": {}}</tool_call>"),
           std::string("Sure <tool_call>\n{\"name\": \"get_order\", \"argu"),  // ended before the commit
           std::string("<tool_call>"),
       }) {
    SCOPED_TRACE(text);
    expect_everywhere(text, {"", text, {}});
  }
}

TEST(OutputParser, BrokenBlockInsideReasoningStaysReasoning) {
  expect_everywhere("<think>\nThe format is <tool_call> JSON </tool_call>.\n</think>\n\nOK.",
                    {"The format is <tool_call> JSON </tool_call>.", "OK.", {}});
}

TEST(OutputParser, BrokenBlockThenAValidOne) {
  expect_everywhere("<tool_call>\nnot json\n</tool_call>\n" + kOrderCall,
                    {"", "<tool_call>\nnot json\n</tool_call>", {{"get_order", "{\"order_id\": \"A1\"}"}}});
  expect_everywhere("<tool_call>\n" + kOrderCall,
                    {"", "<tool_call>", {{"get_order", "{\"order_id\": \"A1\"}"}}});
}

TEST(OutputParser, CallCutShortKeepsWhatWasStreamed) {
  expect_everywhere("<tool_call>\n{\"name\": \"get_order\", \"arguments\": {\"order_id\": \"A",
                    {"", "", {{"get_order", "{\"order_id\": \"A"}}});
  expect_everywhere("<tool_call>\n{\"name\": \"get_order\", \"arguments\": {}}\n</tool_",
                    {"", "", {{"get_order", "{}"}}});
}

TEST(OutputParser, GrammarBreakAfterTheCallWasAnnouncedEndsIt) {
  expect_everywhere("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}} trailing</tool_call>",
                    {"", "} trailing</tool_call>", {{"f", "{\"a\": 1}"}}});
  expect_everywhere("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1,,}}</tool_call>",
                    {"", ",}}</tool_call>", {{"f", "{\"a\": 1,"}}});
}

TEST(OutputParser, TagLookalikesAreReleased) {
  expect_everywhere("a <tool_calls> b <tool", {"", "a <tool_calls> b <tool", {}});
  expect_everywhere("</tool_call> <tool_cal", {"", "</tool_call> <tool_cal", {}});
  expect_everywhere("trailing spaces   \n", {"", "trailing spaces   \n", {}});
}

TEST(OutputParser, JsonDetailsInsideCalls) {
  // A close tag inside a JSON string is string content.
  expect_everywhere("<tool_call>\n{\"name\": \"echo\", \"arguments\": {\"text\": \"</tool_call> <think>\"}}\n</tool_call>",
                    {"", "", {{"echo", "{\"text\": \"</tool_call> <think>\"}"}}});
  // Arguments before name; extra keys; escapes in the name; nested values; no whitespace.
  expect_everywhere("<tool_call>{\"arguments\":{\"a\":[1,{\"b\":null}],\"c\":-2.5e3},\"id\":7,\"name\":\"get\\u005forder\"}</tool_call>",
                    {"", "", {{"get_order", "{\"a\":[1,{\"b\":null}],\"c\":-2.5e3}"}}});
  expect_everywhere("<tool_call>\n{\"name\": \"f\", \"arguments\": {}, \"n\": 12}\n</tool_call>", {"", "", {{"f", "{}"}}});
}

TEST(OutputParser, MultibyteTextStaysWhole) {
  expect_everywhere(
      "<think>\n思考中…用户要查天气 🌧\n</think>\n\n好的，我来查询。\n"
      "<tool_call>\n{\"name\": \"查询天气\", \"arguments\": {\"城市\": \"北京\", \"note\": \"🎉 ünïcödé\"}}\n</tool_call>",
      {"思考中…用户要查天气 🌧", "好的，我来查询。",
       {{"查询天气", "{\"城市\": \"北京\", \"note\": \"🎉 ünïcödé\"}"}}});
}

TEST(OutputParser, WithoutToolParsingTagsAreText) {
  const std::string text = "<think>\nr\n</think>\n\nSay " + kOrderCall;
  expect_everywhere(text, {"r", "Say " + kOrderCall, {}}, test_options(/*parse_tool_calls=*/false));
}

TEST(OutputParser, StartsInReasoningWhenThePromptOpenedIt) {
  OutputParserOptions options = test_options();
  options.starts_in_reasoning = true;
  expect_everywhere("thinking\n</think>\n\nanswer", {"thinking", "answer", {}}, options);
}

// Token-sized pieces as Qwen3's tokenizer cuts a call: nothing of the block shows before the name
// is known, the name comes first with the id, then the arguments arrive piece by piece.
TEST(OutputParser, StreamsNameFirstThenArgumentPieces) {
  const std::vector<std::string> pieces = {
      "Checking", ".\n", "<tool_call>", "\n", "{\"", "name", "\":", " \"", "get", "_order", "\",", " \"",
      "arguments", "\":", " {\"", "order", "_id", "\":", " \"", "A", "1", "\"}}\n", "</tool_call>"};
  OutputParser parser(test_options());
  std::vector<OutputDelta> deltas;
  for (const std::string& piece : pieces) deltas.push_back(parser.push(piece));
  deltas.push_back(parser.finish());

  EXPECT_EQ(deltas[0].content, "Checking");
  EXPECT_EQ(deltas[1].content, ".");  // "\n" held: it turned out to be a separator
  for (size_t i = 2; i <= 13; ++i) EXPECT_TRUE(deltas[i].empty()) << "piece " << i << ": " << pieces[i];
  // " {\"" opens the arguments: the call is announced with what is known.
  ASSERT_EQ(deltas[14].tool_calls.size(), 1u);
  EXPECT_EQ(deltas[14].tool_calls[0].id, "call_0");
  EXPECT_EQ(deltas[14].tool_calls[0].name, "get_order");
  EXPECT_EQ(deltas[14].tool_calls[0].arguments, "{\"");
  std::string arguments = "{\"";
  for (size_t i = 15; i <= 21; ++i) {
    ASSERT_EQ(deltas[i].tool_calls.size(), 1u) << "piece " << i;
    EXPECT_TRUE(deltas[i].tool_calls[0].id.empty());
    EXPECT_TRUE(deltas[i].tool_calls[0].name.empty());
    arguments += deltas[i].tool_calls[0].arguments;
  }
  EXPECT_EQ(deltas[21].tool_calls[0].arguments, "\"}");  // the outer '}' and "\n" are not arguments
  EXPECT_EQ(arguments, "{\"order_id\": \"A1\"}");
  EXPECT_TRUE(deltas[22].empty());
  EXPECT_TRUE(deltas[23].empty());
  EXPECT_TRUE(parser.has_tool_calls());
}

TEST(OutputParser, HoldsBackOnlyWhatMayBeATag) {
  OutputParser parser(test_options());
  EXPECT_EQ(parser.push("x<").content, "x");
  EXPECT_EQ(parser.push("y").content, "<y");  // "<y" cannot start <tool_call>
  EXPECT_EQ(parser.push(" <tool").content, "");
  EXPECT_EQ(parser.push("box>").content, " <toolbox>");
  EXPECT_EQ(parser.push("a <b").content, "a <b");
  EXPECT_EQ(parser.finish().content, "");
}

TEST(OutputParser, ReportsReasoningForTokenCounting) {
  OutputParser parser(test_options());
  EXPECT_FALSE(parser.in_reasoning());
  (void)parser.push("<think>");
  EXPECT_TRUE(parser.in_reasoning());
  (void)parser.push("\nhmm\n");
  EXPECT_TRUE(parser.in_reasoning());
  (void)parser.push("</think>");
  EXPECT_FALSE(parser.in_reasoning());
  OutputParser cut(test_options());
  (void)cut.push("<think>\nx\n");
  (void)cut.push(kOrderCall);
  EXPECT_FALSE(cut.in_reasoning());
}

TEST(OutputParser, SingleCallModeIgnoresTheRest) {
  OutputParserOptions options = test_options();
  options.parallel_tool_calls = false;
  OutputParser parser(options);
  AssistantMessage message;
  message.append(parser.push("<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool"));
  EXPECT_FALSE(parser.done());
  message.append(parser.push("_call>\n"));
  EXPECT_TRUE(parser.done());
  message.append(parser.push(kOrderCall + " more"));
  message.append(parser.finish());
  ASSERT_EQ(message.tool_calls.size(), 1u);
  EXPECT_EQ(message.tool_calls[0].name, "a");
  EXPECT_EQ(message.content, "");

  // A single call that breaks after it was announced also ends the output.
  OutputParser broken(options);
  AssistantMessage second;
  second.append(broken.push("<tool_call>\n{\"name\": \"b\", \"arguments\": {}} oops " + kOrderCall));
  EXPECT_TRUE(broken.done());
  second.append(broken.finish());
  ASSERT_EQ(second.tool_calls.size(), 1u);
  EXPECT_EQ(second.tool_calls[0].name, "b");
  EXPECT_EQ(second.content, "");
}

TEST(OutputParser, RandomIdsByDefault) {
  OutputParser parser;
  AssistantMessage message;
  message.append(parser.push(kOrderCall + kOrderCall));
  message.append(parser.finish());
  ASSERT_EQ(message.tool_calls.size(), 2u);
  EXPECT_TRUE(message.tool_calls[0].id.starts_with("call_"));
  EXPECT_EQ(message.tool_calls[0].id.size(), 5u + 24u);
  EXPECT_NE(message.tool_calls[0].id, message.tool_calls[1].id);
}

// Streamed arguments of well-formed calls always parse as the JSON the model wrote.
TEST(OutputParser, ArgumentsAreTheModelsJsonText) {
  const std::string arguments = R"({"query": "refund \"policy\"", "limit": 3, "tags": ["a", "b"], "x": {"y": false}})";
  const FedOutput run = feed({"<tool_call>\n{\"name\": \"search\", \"arguments\": " + arguments + "}\n</tool_call>"});
  ASSERT_EQ(run.message.tool_calls.size(), 1u);
  EXPECT_EQ(run.message.tool_calls[0].arguments, arguments);
  EXPECT_TRUE(nlohmann::json::accept(run.message.tool_calls[0].arguments));
}

// Random outputs assembled from tag fragments, JSON pieces, whitespace and multibyte text: any
// cutting gives the result of the uncut text, and text without tags comes out unchanged.
TEST(OutputParser, RandomOutputsAreSplitInvariant) {
  const std::vector<std::string> fragments = {
      "Hello", " ", "\n", "\n\n", "<think>", "</think>", "<tool_call>", "</tool_call>", "<tool",
      "_call>", "<", "/", "think>", kOrderCall, kShippingCall, "{\"name\": \"f\", ", "\"arguments\": ",
      "{\"a\": [1, \"</tool_call>\"]}", "}", "{", "\"", ":", ",", "思考", "🎉", "é", "\t", "x"};
  std::mt19937 rng(1234);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int count = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < count; ++i) text += fragments[rng() % fragments.size()];
    const FedOutput whole = feed({text});
    Expected expected{whole.message.reasoning_content, whole.message.content, {}};
    for (const ParsedToolCall& call : whole.message.tool_calls) expected.calls.emplace_back(call.name, call.arguments);
    if (text.find("<tool_call>") == std::string::npos && !text.starts_with("<think>")) {
      ASSERT_EQ(whole.message.content, text) << "text without tags must pass unchanged";
    }
    const std::vector<size_t> cuts = character_boundaries(text);
    for (int trial = 0; trial < 8; ++trial) {
      std::vector<std::string> pieces;
      size_t start = 0;
      for (size_t cut : cuts) {
        if (cut > start && rng() % 3 == 0) {
          pieces.push_back(text.substr(start, cut - start));
          start = cut;
        }
      }
      pieces.push_back(text.substr(start));
      expect_message(feed(pieces), expected, "random pieces of: " + text);
      if (HasFailure()) return;
    }
    std::vector<std::string> characters;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) characters.push_back(text.substr(cuts[i], cuts[i + 1] - cuts[i]));
    expect_message(feed(characters), expected, "characters of: " + text);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace qinfer::api
