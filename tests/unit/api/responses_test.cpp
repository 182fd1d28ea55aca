#include "api/responses.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/ids.h"
#include "api/openai_error.h"

namespace qinfer::api {
namespace {

const ResponseHeader kHeader{"chatcmpl-abc", 1700000000, "qwen3-0.6b"};

Json parse(const std::string& text) { return Json::parse(text); }

TEST(Responses, UsageCarriesTheDetailsTheSdksRead) {
  EXPECT_EQ(usage_json({.prompt_tokens = 10, .completion_tokens = 5, .cached_tokens = 8, .reasoning_tokens = 3}),
            parse(R"({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                      "prompt_tokens_details": {"cached_tokens": 8},
                      "completion_tokens_details": {"reasoning_tokens": 3}})"));
}

TEST(Responses, ChatCompletionWithContentAndReasoning) {
  ChatChoice choice;
  choice.message.reasoning_content = "think";
  choice.message.content = "Hello!";
  choice.finish_reason = "stop";
  const Json out = chat_completion_json(kHeader, std::vector<ChatChoice>{choice}, {.prompt_tokens = 4, .completion_tokens = 2});
  EXPECT_EQ(out, parse(R"({"id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000,
      "model": "qwen3-0.6b",
      "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!", "reasoning_content": "think"},
                   "logprobs": null, "finish_reason": "stop"}],
      "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6,
                "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}})"));
  // Key order as OpenAI sends it.
  EXPECT_TRUE(out.dump().starts_with(R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model")"));
}

TEST(Responses, ChatCompletionWithToolCallsHasNullContent) {
  ChatChoice choice;
  choice.message.tool_calls = {{"call_1", "get_order", R"({"order_id": "A1"})"}};
  choice.finish_reason = std::string(chat_finish_reason(false, true));
  const Json out = chat_completion_json(kHeader, std::vector<ChatChoice>{choice}, {});
  EXPECT_EQ(out["choices"][0], parse(R"({"index": 0, "message": {"role": "assistant", "content": null,
      "reasoning_content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "get_order", "arguments": "{\"order_id\": \"A1\"}"}}]},
      "logprobs": null, "finish_reason": "tool_calls"})"));
}

TEST(Responses, FinishReasons) {
  EXPECT_EQ(chat_finish_reason(false, false), "stop");
  EXPECT_EQ(chat_finish_reason(false, true), "tool_calls");
  EXPECT_EQ(chat_finish_reason(true, true), "length");
  EXPECT_EQ(chat_finish_reason(true, false), "length");
}

TEST(Responses, ChatChunks) {
  EXPECT_EQ(chat_chunk_role(kHeader, 1), parse(R"({"id": "chatcmpl-abc", "object": "chat.completion.chunk",
      "created": 1700000000, "model": "qwen3-0.6b", "choices": [{"index": 1,
      "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]})"));

  OutputDelta delta;
  delta.reasoning_content = "r";
  delta.content = "c";
  delta.tool_calls = {{0, "", "", "\"}"}, {1, "call_2", "f", "{"}};
  EXPECT_EQ(chat_chunk_delta(kHeader, 0, delta)["choices"], parse(R"([{"index": 0,
      "delta": {"reasoning_content": "r", "content": "c", "tool_calls": [
        {"index": 0, "function": {"arguments": "\"}"}},
        {"index": 1, "id": "call_2", "type": "function", "function": {"name": "f", "arguments": "{"}}]},
      "logprobs": null, "finish_reason": null}])"));

  EXPECT_EQ(chat_chunk_finish(kHeader, 0, "tool_calls")["choices"],
            parse(R"([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "tool_calls"}])"));
  const Json usage = chat_chunk_usage(kHeader, {.prompt_tokens = 1, .completion_tokens = 1});
  EXPECT_EQ(usage["choices"], Json::array());
  EXPECT_EQ(usage["usage"]["total_tokens"], 2);
  EXPECT_EQ(usage["object"], "chat.completion.chunk");
}

TEST(Responses, ChatLogprobs) {
  const std::vector<TokenLogprob> tokens = {
      {"Hi", -0.25, {{"Hi", -0.25}, {"Hello", -1.5}}},
      {"\xF0\x9F", -0.5, {}},  // the first half of an emoji: not valid UTF-8 on its own
      {"x", -std::numeric_limits<double>::infinity(), {}},
  };
  const Json content = chat_logprobs_content(tokens);
  EXPECT_EQ(content[0], parse(R"({"token": "Hi", "logprob": -0.25, "bytes": [72, 105],
      "top_logprobs": [{"token": "Hi", "logprob": -0.25, "bytes": [72, 105]},
                       {"token": "Hello", "logprob": -1.5, "bytes": [72, 101, 108, 108, 111]}]})"));
  EXPECT_EQ(content[1]["token"], "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(content[1]["bytes"], parse("[240, 159]"));
  EXPECT_EQ(content[2]["logprob"], -9999.0);
  EXPECT_NO_THROW((void)content.dump());

  ChatChoice choice;
  choice.finish_reason = "stop";
  choice.logprobs = tokens;
  EXPECT_EQ(chat_completion_json(kHeader, std::vector<ChatChoice>{choice}, {})["choices"][0]["logprobs"]["content"],
            content);
  EXPECT_EQ(chat_chunk_delta(kHeader, 0, OutputDelta{}, &tokens)["choices"][0]["logprobs"]["content"], content);
}

TEST(Responses, TextCompletion) {
  CompletionChoice choice;
  choice.text = " there";
  choice.finish_reason = "length";
  choice.logprobs = std::vector<TokenLogprob>{{" th", -0.1, {{" th", -0.1}, {" a", -2.0}}}, {"ére", -0.2, {}}};
  choice.text_offset = 5;
  const ResponseHeader header{"cmpl-1", 42, "m"};
  const Json out = completion_json(header, std::vector<CompletionChoice>{choice}, {.prompt_tokens = 2, .completion_tokens = 2});
  EXPECT_EQ(out["object"], "text_completion");
  EXPECT_EQ(out["choices"][0], parse(R"({"index": 0, "text": " there", "logprobs": {
      "tokens": [" th", "ére"], "token_logprobs": [-0.1, -0.2],
      "top_logprobs": [{" th": -0.1, " a": -2.0}, {}], "text_offset": [5, 8]},
      "finish_reason": "length"})"));
  EXPECT_EQ(out["usage"]["total_tokens"], 4);

  EXPECT_EQ(completion_chunk(header, 0, "Hi"), parse(R"({"id": "cmpl-1", "object": "text_completion",
      "created": 42, "model": "m", "choices": [{"index": 0, "text": "Hi", "logprobs": null, "finish_reason": null}]})"));
  EXPECT_EQ(completion_chunk(header, 0, "", nullptr, "stop")["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(completion_chunk_usage(header, {})["choices"], Json::array());
}

TEST(Responses, Models) {
  EXPECT_EQ(model_json("qwen3", 7), parse(R"({"id": "qwen3", "object": "model", "created": 7, "owned_by": "qinfer"})"));
  const std::vector<std::string> ids = {"a", "b"};
  const Json list = model_list_json(ids, 7);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["data"][1]["id"], "b");
}

TEST(Responses, Ids) {
  const std::string id = chat_completion_id();
  EXPECT_TRUE(id.starts_with("chatcmpl-"));
  EXPECT_EQ(id.size(), 9u + 24u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 9), std::string::npos);
  EXPECT_NE(id, chat_completion_id());
  EXPECT_TRUE(completion_id().starts_with("cmpl-"));
  EXPECT_EQ(random_id("x", 40).size(), 41u);
}

TEST(Responses, ValidUtf8ReplacesOnlyBrokenBytes) {
  EXPECT_EQ(valid_utf8("plain ascii"), "plain ascii");
  EXPECT_EQ(valid_utf8("\xE4\xBD\xA0\xF0\x9F\x98\x80"), "\xE4\xBD\xA0\xF0\x9F\x98\x80");
  EXPECT_EQ(valid_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");          // overlong
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("\xE4\xBD"), "\xEF\xBF\xBD\xEF\xBF\xBD");          // truncated
}

TEST(Responses, ErrorObjectShape) {
  EXPECT_EQ(to_json(invalid_request("messages[1].content", "bad")),
            nlohmann::ordered_json::parse(R"({"error": {"message": "bad", "type": "invalid_request_error",
                                     "param": "messages[1].content", "code": null}})"));
}

}  // namespace
}  // namespace qinfer::api
