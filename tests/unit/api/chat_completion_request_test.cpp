#include "api/chat_completion_request.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <string>

namespace qinfer::api {
namespace {

Json parse(const std::string& text) { return Json::parse(text); }

// A minimal valid body with `extra` fields merged in (extra wins).
Json body_with(const std::string& extra_fields) {
  Json body = parse(R"({"model":"qwen3","messages":[{"role":"user","content":"hi"}]})");
  const Json extra = parse(extra_fields);  // named: a temporary would die before the loop body
  for (const auto& [key, value] : extra.items()) body[key] = value;
  return body;
}

RequestDefaults model_defaults() {
  RequestDefaults defaults;
  defaults.sampler.temperature = 0.6;
  defaults.sampler.top_p = 0.95;
  defaults.sampler.top_k = 20;
  defaults.sampler.min_p = 0.0;
  defaults.sampler.repetition_penalty = 1.0;
  return defaults;
}

ChatCompletionParams parse_ok(const Json& body, const RequestDefaults& defaults = model_defaults()) {
  auto result = parse_chat_completion_request(body, defaults);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(result).value() : ChatCompletionParams{};
}

// The request fails with a 400 naming `param`.
void expect_error(const Json& body, const std::string& param) {
  auto result = parse_chat_completion_request(body, model_defaults());
  ASSERT_FALSE(result.ok()) << "accepted: " << body.dump();
  EXPECT_EQ(result.error().status, 400);
  EXPECT_EQ(result.error().type, "invalid_request_error");
  EXPECT_EQ(result.error().param, param) << result.error().message;
  EXPECT_FALSE(result.error().message.empty());
}

TEST(ChatCompletionRequest, MinimalRequestTakesTheModelDefaults) {
  const ChatCompletionParams params = parse_ok(body_with("{}"));
  EXPECT_EQ(params.model, "qwen3");
  EXPECT_EQ(params.chat.messages, parse(R"([{"role":"user","content":"hi"}])"));
  EXPECT_TRUE(params.chat.add_generation_prompt);
  EXPECT_FALSE(params.chat.tools.has_value());
  EXPECT_EQ(params.chat.kwargs, parse(R"({"enable_thinking":true})"));
  const GenerationOptions& generation = params.generation;
  EXPECT_DOUBLE_EQ(generation.sampler.temperature, 0.6);
  EXPECT_DOUBLE_EQ(generation.sampler.top_p, 0.95);
  EXPECT_EQ(generation.sampler.top_k, 20);
  EXPECT_DOUBLE_EQ(generation.sampler.presence_penalty, 0.0);
  EXPECT_FALSE(generation.seed.has_value());
  EXPECT_FALSE(generation.max_tokens.has_value());
  EXPECT_TRUE(generation.stop.empty());
  EXPECT_EQ(generation.n, 1);
  EXPECT_FALSE(generation.stream);
  EXPECT_FALSE(generation.logprobs);
  EXPECT_EQ(params.tool_choice.mode, ToolChoiceMode::kNone);
  EXPECT_FALSE(params.parses_tool_calls());
  EXPECT_EQ(params.response_format.type, ResponseFormatType::kText);
}

TEST(ChatCompletionRequest, DefaultsForThinkingAndMaxTokensComeFromTheServer) {
  RequestDefaults defaults = model_defaults();
  defaults.enable_thinking = false;
  defaults.max_tokens = 512;
  const ChatCompletionParams params = parse_ok(body_with("{}"), defaults);
  EXPECT_FALSE(params.enable_thinking);
  EXPECT_EQ(params.chat.kwargs["enable_thinking"], false);
  EXPECT_EQ(params.generation.max_tokens, 512);
}

TEST(ChatCompletionRequest, RequestFieldsOverrideTheDefaults) {
  const ChatCompletionParams params = parse_ok(body_with(R"({
      "temperature": 0, "top_p": 0.5, "top_k": -1, "min_p": 0.1, "presence_penalty": 1.5,
      "frequency_penalty": -0.5, "repetition_penalty": 1.1, "seed": 42, "max_tokens": 100,
      "stop": "END", "n": 3, "stream": true, "stream_options": {"include_usage": true},
      "logprobs": true, "top_logprobs": 5, "logit_bias": {"151645": -100, "7": 2.5},
      "ignore_eos": true, "user": "u-1", "parallel_tool_calls": false,
      "chat_template_kwargs": {"enable_thinking": false, "custom": [1]},
      "some_future_field": {"ignored": true}})"));
  const GenerationOptions& generation = params.generation;
  EXPECT_EQ(generation.sampler.temperature, 0.0);
  EXPECT_EQ(generation.sampler.top_p, 0.5);
  EXPECT_EQ(generation.sampler.top_k, 0);  // -1: off, as in vLLM
  EXPECT_DOUBLE_EQ(generation.sampler.min_p, 0.1);
  EXPECT_DOUBLE_EQ(generation.sampler.presence_penalty, 1.5);
  EXPECT_DOUBLE_EQ(generation.sampler.frequency_penalty, -0.5);
  EXPECT_DOUBLE_EQ(generation.sampler.repetition_penalty, 1.1);
  EXPECT_EQ(generation.seed, 42u);
  EXPECT_EQ(generation.sampler.seed, 42u);
  EXPECT_EQ(generation.max_tokens, 100);
  EXPECT_EQ(generation.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(generation.n, 3);
  EXPECT_TRUE(generation.stream);
  EXPECT_TRUE(generation.include_usage);
  EXPECT_TRUE(generation.logprobs);
  EXPECT_EQ(generation.top_logprobs, 5);
  ASSERT_EQ(generation.sampler.logit_bias.size(), 2u);
  EXPECT_EQ(generation.sampler.logit_bias[0].token, 151645);
  EXPECT_EQ(generation.sampler.logit_bias[0].bias, -100.0f);
  EXPECT_EQ(generation.sampler.logit_bias[1].token, 7);
  EXPECT_EQ(generation.sampler.logit_bias[1].bias, 2.5f);
  EXPECT_TRUE(generation.ignore_eos);
  EXPECT_FALSE(params.parallel_tool_calls);
  EXPECT_FALSE(params.enable_thinking);
  EXPECT_EQ(params.chat.kwargs, parse(R"({"enable_thinking":false,"custom":[1]})"));
  EXPECT_TRUE(validate_sampler_params(generation.sampler).ok());
}

TEST(ChatCompletionRequest, NullMeansNotGiven) {
  const ChatCompletionParams params = parse_ok(body_with(R"({
      "temperature": null, "max_tokens": null, "stop": null, "seed": null, "tools": null,
      "tool_choice": null, "logit_bias": null, "stream_options": null, "response_format": null})"));
  EXPECT_DOUBLE_EQ(params.generation.sampler.temperature, 0.6);
  EXPECT_FALSE(params.generation.max_tokens.has_value());
  EXPECT_FALSE(params.generation.seed.has_value());
}

TEST(ChatCompletionRequest, MaxCompletionTokensWinsOverMaxTokens) {
  EXPECT_EQ(parse_ok(body_with(R"({"max_tokens": 10, "max_completion_tokens": 20})")).generation.max_tokens, 20);
  EXPECT_EQ(parse_ok(body_with(R"({"max_completion_tokens": 7})")).generation.max_tokens, 7);
}

TEST(ChatCompletionRequest, NegativeAndHugeSeedsMapToUnsigned64) {
  EXPECT_EQ(parse_ok(body_with(R"({"seed": -1})")).generation.seed, UINT64_MAX);
  EXPECT_EQ(parse_ok(body_with(R"({"seed": 18446744073709551615})")).generation.seed, UINT64_MAX);
  EXPECT_EQ(parse_ok(body_with(R"({"seed": 5.0})")).generation.seed, 5u);
  expect_error(body_with(R"({"seed": 1.5})"), "seed");
  expect_error(body_with(R"({"seed": "1"})"), "seed");
}

TEST(ChatCompletionRequest, IntegralFloatsCountAsIntegers) {
  EXPECT_EQ(parse_ok(body_with(R"({"max_tokens": 16.0, "n": 2.0})")).generation.max_tokens, 16);
  expect_error(body_with(R"({"max_tokens": 16.5})"), "max_tokens");
}

TEST(ChatCompletionRequest, StopAcceptsAStringOrAnArray) {
  EXPECT_EQ(parse_ok(body_with(R"({"stop": ["a", "bc"]})")).generation.stop,
            (std::vector<std::string>{"a", "bc"}));
  EXPECT_TRUE(parse_ok(body_with(R"({"stop": []})")).generation.stop.empty());
  expect_error(body_with(R"({"stop": ""})"), "stop");
  expect_error(body_with(R"({"stop": ["a", ""]})"), "stop[1]");
  expect_error(body_with(R"({"stop": ["a", 3]})"), "stop[1]");
  expect_error(body_with(R"({"stop": 3})"), "stop");
  Json many = body_with("{}");
  many["stop"] = Json::array();
  for (int i = 0; i < 17; ++i) many["stop"].push_back(std::to_string(i) + "s");
  expect_error(many, "stop");
  many["stop"].erase(many["stop"].begin());
  EXPECT_EQ(parse_ok(many).generation.stop.size(), 16u);
}

TEST(ChatCompletionRequest, EverySamplingFieldChecksTypeAndRange) {
  struct Case {
    const char* field;
    const char* bad_values;  // a JSON array of values that must fail
    const char* good_values;
  };
  const Case cases[] = {
      {"temperature", R"([-0.1, 2.01, "1", true])", "[0, 2, 0.7]"},
      {"top_p", R"([0, 1.5, -1, "0.5"])", "[1, 0.01]"},
      {"top_k", R"([-2, 1.5, "5"])", "[-1, 0, 50]"},
      {"min_p", R"([-0.1, 1.1, {}])", "[0, 1, 0.05]"},
      {"presence_penalty", R"([-2.5, 2.5, "0"])", "[-2, 2, 0]"},
      {"frequency_penalty", R"([-2.5, 2.5, []])", "[-2, 2]"},
      {"repetition_penalty", R"([0, -1, "1"])", "[0.5, 1, 2]"},
      {"max_tokens", R"([0, -5, "10", 1.5])", "[1, 100000]"},
      {"max_completion_tokens", R"([0, "10"])", "[1]"},
      {"n", R"([0, 9, "2"])", "[1, 8]"},
      {"stream", R"([1, "true"])", "[true, false]"},
      {"logprobs", R"([1, "true"])", "[true, false]"},
      {"ignore_eos", R"([1])", "[true]"},
      {"parallel_tool_calls", R"(["no"])", "[false]"},
      {"user", R"([5, {}])", R"(["someone"])"},
      {"logit_bias", R"([[], "x", {"abc": 1}, {"-1": 1}, {"1": 101}, {"1": -100.5}, {"1": "2"}, {"1.5": 1}, {"99999999999": 1}])",
       R"([{}, {"0": 100}, {"5": -100}])"},
      {"chat_template_kwargs", R"([[], "x", {"enable_thinking": "no"}, {"messages": []}, {"tools": []}])",
       R"([{}, {"enable_thinking": true}])"},
      {"response_format", R"([{"type": "xml"}, {}, "json", {"type": "json_schema"},
                            {"type": "json_schema", "json_schema": {"schema": {}}},
                            {"type": "json_schema", "json_schema": {"name": "a b", "schema": {}}},
                            {"type": "json_schema", "json_schema": {"name": "x", "schema": []}},
                            {"type": "json_schema", "json_schema": {"name": "x"}},
                            {"type": "json_schema", "json_schema": {"name": "x", "schema": {}, "strict": 1}}])",
       R"([{"type": "text"}, {"type": "json_object"},
          {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": true}}])"},
      {"modalities", R"([["audio"], "text"])", R"([["text"]])"},
      {"functions", R"([[{"name": "f"}]])", "[]"},
      {"function_call", R"(["auto"])", "[]"},
      {"audio", R"([{}])", "[]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    for (const Json& bad : parse(c.bad_values)) {
      Json body = body_with("{}");
      body[c.field] = bad;
      auto result = parse_chat_completion_request(body, model_defaults());
      ASSERT_FALSE(result.ok()) << c.field << " = " << bad.dump();
      EXPECT_EQ(result.error().status, 400);
      EXPECT_TRUE(result.error().param.starts_with(c.field))
          << c.field << " = " << bad.dump() << " -> param " << result.error().param;
    }
    for (const Json& good : parse(c.good_values)) {
      Json body = body_with("{}");
      body[c.field] = good;
      auto result = parse_chat_completion_request(body, model_defaults());
      EXPECT_TRUE(result.ok()) << c.field << " = " << good.dump() << ": "
                               << (result.ok() ? "" : result.error().message);
    }
  }
}

TEST(ChatCompletionRequest, NonFiniteNumbersAreOutOfRange) {
  // nlohmann's parser rejects 1e999, but a body built in code could hold infinity.
  Json body = body_with("{}");
  body["repetition_penalty"] = std::numeric_limits<double>::infinity();
  expect_error(body, "repetition_penalty");
  body = body_with("{}");
  body["top_p"] = std::numeric_limits<double>::quiet_NaN();
  expect_error(body, "top_p");
}

TEST(ChatCompletionRequest, ErrorsNameTheExactField) {
  expect_error(body_with(R"({"temperature": "hot"})"), "temperature");
  expect_error(body_with(R"({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}})"),
               "response_format.json_schema.schema");
  expect_error(body_with(R"({"chat_template_kwargs": {"enable_thinking": 1}})"),
               "chat_template_kwargs.enable_thinking");
  expect_error(body_with(R"({"logit_bias": {"12": "x"}})"), "logit_bias.12");
  expect_error(body_with(R"({"stream_options": {"include_usage": true}})"), "stream_options");
  expect_error(body_with(R"({"stream": true, "stream_options": {"include_usage": 1}})"),
               "stream_options.include_usage");
  expect_error(body_with(R"({"top_logprobs": 3})"), "top_logprobs");
  expect_error(body_with(R"({"logprobs": true, "top_logprobs": 21})"), "top_logprobs");
  EXPECT_EQ(parse_ok(body_with(R"({"logprobs": false, "top_logprobs": 0})")).generation.top_logprobs, 0);

  auto message = parse_chat_completion_request(body_with(R"({"temperature": 3})"), model_defaults());
  ASSERT_FALSE(message.ok());
  EXPECT_EQ(message.error().message, "Invalid 'temperature': expected a value in [0, 2], but got 3 instead.");
  auto type = parse_chat_completion_request(body_with(R"({"temperature": "3"})"), model_defaults());
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().message,
            "Invalid type for 'temperature': expected a number, but got a string instead.");
}

TEST(ChatCompletionRequest, ModelAndBodyAreRequired) {
  expect_error(parse(R"({"messages":[{"role":"user","content":"hi"}]})"), "model");
  expect_error(body_with(R"({"model": 3})"), "model");
  auto not_object = parse_chat_completion_request(parse("[1]"), model_defaults());
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().status, 400);
}

TEST(ChatCompletionRequest, MessagesAreValidatedWithTheirPath) {
  expect_error(parse(R"({"model":"m"})"), "messages");
  expect_error(body_with(R"({"messages": []})"), "messages");
  expect_error(body_with(R"({"messages": {}})"), "messages");
  expect_error(body_with(R"({"messages": ["hi"]})"), "messages[0]");
  expect_error(body_with(R"({"messages": [{"content": "hi"}]})"), "messages[0].role");
  expect_error(body_with(R"({"messages": [{"role": "robot", "content": "hi"}]})"), "messages[0].role");
  expect_error(body_with(R"({"messages": [{"role": "user", "content": "a"}, {"role": "user"}]})"),
               "messages[1].content");
  expect_error(body_with(R"({"messages": [{"role": "user", "content": null}]})"), "messages[0].content");
  expect_error(body_with(R"({"messages": [{"role": "user", "content": 5}]})"), "messages[0].content");
  expect_error(body_with(R"({"messages": [{"role": "user", "content": []}]})"), "messages[0].content");
  expect_error(body_with(R"({"messages": [{"role": "user", "content": ["text"]}]})"), "messages[0].content[0]");
  expect_error(body_with(R"({"messages": [{"role": "user", "content": [{"text": "a"}]}]})"),
               "messages[0].content[0].type");
  expect_error(body_with(R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})"),
               "messages[0].content[0].text");
  expect_error(body_with(R"({"messages": [{"role": "user", "name": 3, "content": "x"}]})"), "messages[0].name");
  expect_error(body_with(R"({"messages": [{"role": "assistant"}]})"), "messages[0].content");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "content": null, "tool_calls": []}]})"),
               "messages[0].content");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "content": "x", "reasoning_content": 1}]})"),
               "messages[0].reasoning_content");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "content": "x", "tool_calls": {}}]})"),
               "messages[0].tool_calls");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}]})"),
               "messages[0].tool_calls[0].function");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "tool_calls": [{"id": 1, "type": "function",
                 "function": {"name": "f", "arguments": "{}"}}]}]})"),
               "messages[0].tool_calls[0].id");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "tool_calls": [{"type": "custom",
                 "function": {"name": "f", "arguments": "{}"}}]}]})"),
               "messages[0].tool_calls[0].type");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "tool_calls": [{"type": "function",
                 "function": {"arguments": "{}"}}]}]})"),
               "messages[0].tool_calls[0].function.name");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "tool_calls": [{"type": "function",
                 "function": {"name": "f"}}]}]})"),
               "messages[0].tool_calls[0].function.arguments");
  expect_error(body_with(R"({"messages": [{"role": "assistant", "tool_calls": [{"type": "function",
                 "function": {"name": "f", "arguments": 3}}]}]})"),
               "messages[0].tool_calls[0].function.arguments");
  expect_error(body_with(R"({"messages": [{"role": "tool", "tool_call_id": "c"}]})"), "messages[0].content");
  expect_error(body_with(R"({"messages": [{"role": "tool", "content": "r", "tool_call_id": 7}]})"),
               "messages[0].tool_call_id");
}

TEST(ChatCompletionRequest, NonTextContentPartsAreRejectedClearly) {
  auto result = parse_chat_completion_request(
      body_with(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "look"},
                   {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]})"),
      model_defaults());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().param, "messages[0].content[1].type");
  EXPECT_NE(result.error().message.find("only text content is supported"), std::string::npos);
}

TEST(ChatCompletionRequest, MessagesAreNormalizedForTheTemplate) {
  const ChatCompletionParams params = parse_ok(body_with(R"({"messages": [
      {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
      {"role": "user", "name": "ann", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
       "extra": "dropped"},
      {"role": "assistant", "content": null, "reasoning_content": "think",
       "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}},
                      {"id": "call_2", "type": "function", "function": {"name": "g", "arguments": {"b": 2}}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "r1"},
      {"role": "tool", "content": [{"type": "text", "text": "r2"}]},
      {"role": "assistant", "content": "done", "reasoning": "via vLLM's field", "reasoning_content": null}
    ]})"));
  EXPECT_EQ(params.chat.messages, parse(R"([
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "one\ntwo", "name": "ann"},
      {"role": "assistant", "reasoning_content": "think",
       "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}},
                      {"id": "call_2", "type": "function", "function": {"name": "g", "arguments": {"b": 2}}}],
       "content": ""},
      {"role": "tool", "content": "r1", "tool_call_id": "call_1"},
      {"role": "tool", "content": "r2"},
      {"role": "assistant", "reasoning_content": "via vLLM's field", "content": "done"}
    ])"));
}

const char* kOrderTool = R"({"type": "function", "function": {"name": "get_order",
    "description": "Look up an order", "parameters": {"type": "object",
    "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}})";

TEST(ChatCompletionRequest, ToolsArePassedThroughAndToolChoiceDefaultsToAuto) {
  Json body = body_with("{}");
  body["tools"] = Json::array({parse(kOrderTool)});
  const ChatCompletionParams params = parse_ok(body);
  ASSERT_TRUE(params.chat.tools.has_value());
  EXPECT_EQ(*params.chat.tools, body["tools"]);
  // Key order matters: the template prints tools with tojson.
  EXPECT_EQ(params.chat.tools->dump(), body["tools"].dump());
  EXPECT_EQ(params.tool_choice.mode, ToolChoiceMode::kAuto);
  EXPECT_TRUE(params.parses_tool_calls());
  EXPECT_EQ(params.tool_names, std::vector<std::string>{"get_order"});
  EXPECT_TRUE(params.parallel_tool_calls);
}

TEST(ChatCompletionRequest, ToolChoiceNoneLeavesToolsOutOfThePrompt) {
  Json body = body_with(R"({"tool_choice": "none"})");
  body["tools"] = Json::array({parse(kOrderTool)});
  const ChatCompletionParams params = parse_ok(body);
  EXPECT_FALSE(params.chat.tools.has_value());
  EXPECT_FALSE(params.parses_tool_calls());
}

TEST(ChatCompletionRequest, EmptyToolsListIsNoTools) {
  const ChatCompletionParams params = parse_ok(body_with(R"({"tools": [], "tool_choice": "auto"})"));
  EXPECT_FALSE(params.chat.tools.has_value());
  EXPECT_EQ(params.tool_choice.mode, ToolChoiceMode::kNone);
}

TEST(ChatCompletionRequest, ToolsAreValidatedWithTheirPath) {
  expect_error(body_with(R"({"tools": {}})"), "tools");
  expect_error(body_with(R"({"tools": ["f"]})"), "tools[0]");
  expect_error(body_with(R"({"tools": [{"function": {"name": "f"}}]})"), "tools[0].type");
  expect_error(body_with(R"({"tools": [{"type": "custom", "custom": {"name": "f"}}]})"), "tools[0].type");
  expect_error(body_with(R"({"tools": [{"type": "function"}]})"), "tools[0].function");
  expect_error(body_with(R"({"tools": [{"type": "function", "function": {}}]})"), "tools[0].function.name");
  expect_error(body_with(R"({"tools": [{"type": "function", "function": {"name": "get order"}}]})"),
               "tools[0].function.name");
  expect_error(body_with(R"({"tools": [{"type": "function", "function": {"name": ""}}]})"),
               "tools[0].function.name");
  Json long_name = body_with("{}");
  long_name["tools"] = Json::array({{{"type", "function"}, {"function", {{"name", std::string(65, 'a')}}}}});
  expect_error(long_name, "tools[0].function.name");
  long_name["tools"][0]["function"]["name"] = std::string(64, 'a');
  parse_ok(long_name);
  expect_error(body_with(R"({"tools": [{"type": "function", "function": {"name": "f", "description": 1}}]})"),
               "tools[0].function.description");
  expect_error(body_with(R"({"tools": [{"type": "function", "function": {"name": "f", "parameters": []}}]})"),
               "tools[0].function.parameters");
  expect_error(body_with(R"({"tools": [{"type": "function", "function": {"name": "f", "strict": "yes"}}]})"),
               "tools[0].function.strict");
  expect_error(body_with(R"({"tools": [{"type": "function", "function": {"name": "f"}},
                                       {"type": "function", "function": {"name": "f"}}]})"),
               "tools[1].function.name");
}

TEST(ChatCompletionRequest, ToolChoiceIsValidatedAgainstTheTools) {
  Json body = body_with("{}");
  body["tools"] = Json::array({parse(kOrderTool)});
  for (const char* bad : {R"("sometimes")", "3", R"({"type": "function"})",
                          R"({"type": "function", "function": {}})",
                          R"({"type": "allowed_tools", "allowed_tools": {}})"}) {
    body["tool_choice"] = parse(bad);
    auto result = parse_chat_completion_request(body, model_defaults());
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_TRUE(result.error().param.starts_with("tool_choice")) << bad;
  }
  body["tool_choice"] = parse(R"({"type": "function", "function": {"name": "get_weather"}})");
  expect_error(body, "tool_choice.function.name");

  body["tool_choice"] = "required";
  EXPECT_EQ(parse_ok(body).tool_choice.mode, ToolChoiceMode::kRequired);
  body["tool_choice"] = parse(R"({"type": "function", "function": {"name": "get_order"}})");
  const ChatCompletionParams named = parse_ok(body);
  EXPECT_EQ(named.tool_choice.mode, ToolChoiceMode::kFunction);
  EXPECT_EQ(named.tool_choice.function_name, "get_order");

  expect_error(body_with(R"({"tool_choice": "required"})"), "tool_choice");
  expect_error(body_with(R"({"tool_choice": {"type": "function", "function": {"name": "f"}}})"), "tool_choice");
}

TEST(ChatCompletionRequest, ResponseFormatKeepsTheSchema) {
  Json body = body_with(R"({"response_format": {"type": "json_object"}})");
  EXPECT_EQ(parse_ok(body).response_format.type, ResponseFormatType::kJsonObject);
  body = body_with(R"({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}})");
  const ChatCompletionParams schema = parse_ok(body);
  EXPECT_EQ(schema.response_format.type, ResponseFormatType::kJsonSchema);
  EXPECT_EQ(schema.response_format.json_schema["schema"], parse(R"({"type": "object"})"));
}

// The normalized request renders with the real Qwen3 template to exactly what transformers'
// apply_chat_template renders for the equivalent Python messages (expected text produced with
// transformers 5.x from .deps/venv; content None there raises UndefinedError, hence "").
TEST(ChatCompletionRequest, NormalizedToolConversationRendersLikeTransformers) {
  const std::filesystem::path dir = std::filesystem::path(QINFER_SOURCE_DIR) / ".deps" / "qwen3-tokenizer";
  if (!std::filesystem::exists(dir / "tokenizer_config.json")) GTEST_SKIP() << "run scripts/setup.sh for " << dir;
  auto chat_template = chat::ChatTemplate::from_model_dir(dir.string());
  ASSERT_TRUE(chat_template.ok()) << chat_template.error().message;

  Json body = body_with(R"({"messages": [
      {"role": "developer", "content": "You are a helpful bot."},
      {"role": "user", "content": [{"type": "text", "text": "Where is"}, {"type": "text", "text": "order A1?"}]},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "get_order", "arguments": "{\"order_id\": \"A1\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "{\"status\": \"shipped\"}"}]})");
  body["tools"] = Json::array({parse(kOrderTool)});
  const ChatCompletionParams params = parse_ok(body);
  auto prompt = chat_template->render(params.chat);
  ASSERT_TRUE(prompt.ok()) << prompt.error().message;
  EXPECT_EQ(*prompt,
            "<|im_start|>system\nYou are a helpful bot.\n\n# Tools\n\nYou may call one or more functions to "
            "assist with the user query.\n\nYou are provided with function signatures within <tools></tools> "
            "XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_order\", "
            "\"description\": \"Look up an order\", \"parameters\": {\"type\": \"object\", \"properties\": "
            "{\"order_id\": {\"type\": \"string\"}}, \"required\": [\"order_id\"]}}}\n</tools>\n\nFor each "
            "function call, return a json object with function name and arguments within "
            "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
            "<args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWhere is\norder A1?<|im_end|>\n"
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_order\", \"arguments\": {\"order_id\": "
            "\"A1\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n{\"status\": "
            "\"shipped\"}\n</tool_response><|im_end|>\n<|im_start|>assistant\n");
}

}  // namespace
}  // namespace qinfer::api
