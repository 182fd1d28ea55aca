#include "chat/chat_template.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace qinfer::chat {
namespace {

using json = nlohmann::ordered_json;

ChatRequest request_from(const char* text) {
  auto parsed = parse_chat_request(json::parse(text));
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : ChatRequest{};
}

TEST(ChatRequest, SplitsKnownFieldsFromTemplateKwargs) {
  const ChatRequest r = request_from(R"({"messages":[{"role":"user","content":"x"}],"add_generation_prompt":true,"enable_thinking":false,"custom":1})");
  EXPECT_TRUE(r.add_generation_prompt);
  EXPECT_FALSE(r.tools.has_value());
  EXPECT_EQ(r.kwargs.dump(), R"({"enable_thinking":false,"custom":1})");
  EXPECT_FALSE(parse_chat_request(json::parse(R"({"messages":{}})")).ok());
  EXPECT_FALSE(parse_chat_request(json::parse(R"({"add_generation_prompt":true})")).ok());
  EXPECT_FALSE(parse_chat_request(json::parse(R"({"messages":[],"add_generation_prompt":"yes"})")).ok());
}

TEST(ChatTemplate, PassesTheVariablesApplyChatTemplatePasses) {
  auto tmpl = ChatTemplate::from_source(
      "{{ bos_token }}|{{ eos_token }}|{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|"
      "{{ enable_thinking is defined }}",
      {{"bos_token", "<s>"}, {"eos_token", "</s>"}});
  ASSERT_TRUE(tmpl.ok());
  EXPECT_EQ(*tmpl->render(request_from(R"({"messages":[{"role":"user","content":"x"}]})")), "<s>|</s>|True|True|False|False");
  EXPECT_EQ(*tmpl->render(request_from(R"({"messages":[{"role":"user","content":"x"}],"tools":[],"enable_thinking":true,"eos_token":"E"})")),
            "<s>|E|False|True|False|True");
}

TEST(ChatTemplate, NormalisesMessagesLikeTransformers) {
  auto tmpl = ChatTemplate::from_source("{{ messages | tojson }}", {});
  ASSERT_TRUE(tmpl.ok());
  // None-valued keys are dropped; the first reasoning field fills `thinking` (first) and
  // `reasoning_content` (in place, or last).
  EXPECT_EQ(*tmpl->render(request_from(R"({"messages":[{"role":"assistant","content":"a","tool_calls":null,"reasoning":"r"}]})")),
            R"([{"thinking": "r", "role": "assistant", "content": "a", "reasoning": "r", "reasoning_content": "r"}])");
  EXPECT_EQ(*tmpl->render(request_from(R"({"messages":[{"reasoning_content":"r","role":"assistant","thinking":null}]})")),
            R"([{"thinking": "r", "reasoning_content": "r", "role": "assistant"}])");
}

TEST(ChatTemplate, RejectsBadConversations) {
  auto tmpl = ChatTemplate::from_source("{{ messages[0].content }}", {});
  ASSERT_TRUE(tmpl.ok());
  auto empty = tmpl->render(request_from(R"({"messages":[]})"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty conversation"), std::string::npos);
  EXPECT_FALSE(tmpl->render(request_from(R"({"messages":["text"]})")).ok());
  EXPECT_FALSE(tmpl->render(request_from(R"({"messages":[{"role":"user"}],"tools":["x"]})")).ok());
}

TEST(ChatTemplate, ParseErrorsNameTheTemplateLine) {
  auto tmpl = ChatTemplate::from_source("ok\n{% if x %}", {});
  ASSERT_FALSE(tmpl.ok());
  EXPECT_NE(tmpl.error().message.find("template line"), std::string::npos) << tmpl.error().message;
}

TEST(ChatTemplate, RendersTheRealQwen3Template) {
  const std::filesystem::path dir = std::filesystem::path(QINFER_SOURCE_DIR) / ".deps" / "qwen3-tokenizer";
  if (!std::filesystem::exists(dir / "tokenizer_config.json")) GTEST_SKIP() << "run scripts/setup.sh for " << dir;
  auto tmpl = ChatTemplate::from_model_dir(dir.string());
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
  auto out = tmpl->render(request_from(
      R"({"messages":[{"role":"system","content":"S"},{"role":"user","content":"hi"},)"
      R"({"role":"assistant","content":"<think>\nr\n</think>\n\nyo"},{"role":"user","content":"again"}],)"
      R"("add_generation_prompt":true,"enable_thinking":false})"));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n"
            "<|im_start|>user\nagain<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  EXPECT_FALSE(ChatTemplate::from_model_dir("/nonexistent").ok());
}

}  // namespace
}  // namespace qinfer::chat
