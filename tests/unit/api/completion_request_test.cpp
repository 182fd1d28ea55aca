#include "api/completion_request.h"

#include <gtest/gtest.h>

#include <string>

namespace qinfer::api {
namespace {

Json body_with(const std::string& extra_fields) {
  Json body = Json::parse(R"({"model":"qwen3","prompt":"Once upon a time"})");
  const Json extra = Json::parse(extra_fields);  // named: a temporary would die before the loop body
  for (const auto& [key, value] : extra.items()) body[key] = value;
  return body;
}

CompletionParams parse_ok(const Json& body) {
  RequestDefaults defaults;
  defaults.sampler.temperature = 0.7;
  auto result = parse_completion_request(body, defaults);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(result).value() : CompletionParams{};
}

void expect_error(const Json& body, const std::string& param) {
  auto result = parse_completion_request(body, RequestDefaults{});
  ASSERT_FALSE(result.ok()) << "accepted: " << body.dump();
  EXPECT_EQ(result.error().status, 400);
  EXPECT_EQ(result.error().param, param) << result.error().message;
}

TEST(CompletionRequest, TextPromptWithDefaults) {
  const CompletionParams params = parse_ok(body_with("{}"));
  EXPECT_EQ(params.model, "qwen3");
  EXPECT_EQ(params.prompt.text, "Once upon a time");
  EXPECT_TRUE(params.prompt.token_ids.empty());
  EXPECT_FALSE(params.echo);
  EXPECT_DOUBLE_EQ(params.generation.sampler.temperature, 0.7);
  EXPECT_FALSE(params.generation.logprobs);
  EXPECT_FALSE(unsupported_features(params).has_value());
}

TEST(CompletionRequest, PromptForms) {
  EXPECT_EQ(parse_ok(body_with(R"({"prompt": [1, 2, 3]})")).prompt.token_ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(parse_ok(body_with(R"({"prompt": ["only one"]})")).prompt.text, "only one");
  EXPECT_EQ(parse_ok(body_with(R"({"prompt": [[7, 8]]})")).prompt.token_ids, (std::vector<int32_t>{7, 8}));
  expect_error(body_with(R"({"prompt": ["a", "b"]})"), "prompt");
  expect_error(body_with(R"({"prompt": [[1], [2]]})"), "prompt");
  expect_error(body_with(R"({"prompt": []})"), "prompt");
  expect_error(body_with(R"({"prompt": ""})"), "prompt");
  expect_error(body_with(R"({"prompt": [""]})"), "prompt[0]");
  expect_error(body_with(R"({"prompt": [1, -2]})"), "prompt");
  expect_error(body_with(R"({"prompt": [1, 2.5]})"), "prompt");
  expect_error(body_with(R"({"prompt": [1, "x"]})"), "prompt");
  expect_error(body_with(R"({"prompt": 5})"), "prompt");
  expect_error(body_with(R"({"prompt": null})"), "prompt");
  expect_error(Json::parse(R"({"model": "m"})"), "prompt");
  expect_error(Json::parse(R"({"prompt": "x"})"), "model");
}

TEST(CompletionRequest, SharedFieldsMeanTheSameAsInChat) {
  const CompletionParams params = parse_ok(body_with(R"({"temperature": 0, "top_k": 5, "seed": -2,
      "max_tokens": 16, "stop": ["\n\n"], "n": 2, "stream": true, "stream_options": {"include_usage": true},
      "logit_bias": {"3": 1}, "echo": true, "best_of": 1, "ignore_eos": true})"));
  EXPECT_EQ(params.generation.sampler.temperature, 0.0);
  EXPECT_EQ(params.generation.sampler.top_k, 5);
  EXPECT_EQ(params.generation.seed, UINT64_MAX - 1);
  EXPECT_EQ(params.generation.max_tokens, 16);
  EXPECT_EQ(params.generation.stop, std::vector<std::string>{"\n\n"});
  EXPECT_EQ(params.generation.n, 2);
  EXPECT_TRUE(params.generation.include_usage);
  EXPECT_EQ(params.generation.sampler.logit_bias.size(), 1u);
  EXPECT_TRUE(params.echo);
  EXPECT_TRUE(params.generation.ignore_eos);
  expect_error(body_with(R"({"temperature": 2.5})"), "temperature");
  expect_error(body_with(R"({"stop": [1]})"), "stop[0]");
  expect_error(body_with(R"({"echo": "yes"})"), "echo");
}

TEST(CompletionRequest, LegacyLogprobsIsAnIntegerUpToFive) {
  const CompletionParams zero = parse_ok(body_with(R"({"logprobs": 0})"));
  EXPECT_TRUE(zero.generation.logprobs);
  EXPECT_EQ(zero.generation.top_logprobs, 0);
  const CompletionParams five = parse_ok(body_with(R"({"logprobs": 5})"));
  EXPECT_TRUE(five.generation.logprobs);
  EXPECT_EQ(five.generation.top_logprobs, 5);
  EXPECT_FALSE(parse_ok(body_with(R"({"logprobs": null})")).generation.logprobs);
  expect_error(body_with(R"({"logprobs": 6})"), "logprobs");
  expect_error(body_with(R"({"logprobs": true})"), "logprobs");
}

TEST(CompletionRequest, UnsupportedFieldsAreA400) {
  expect_error(body_with(R"({"suffix": "end"})"), "suffix");
  expect_error(body_with(R"({"best_of": 3})"), "best_of");
  parse_ok(body_with(R"({"suffix": null})"));
  auto echo_logprobs = unsupported_features(parse_ok(body_with(R"({"echo": true, "logprobs": 1})")));
  ASSERT_TRUE(echo_logprobs.has_value());
  EXPECT_EQ(echo_logprobs->param, "logprobs");
}

}  // namespace
}  // namespace qinfer::api
