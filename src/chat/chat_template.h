// Renders a conversation into a prompt with the model's chat template, the way transformers'
// tokenizer.apply_chat_template(..., tokenize=False) does: the same variables (messages, tools,
// documents, add_generation_prompt, the special tokens, extra kwargs such as enable_thinking),
// the same input normalisation (None-valued message keys dropped, reasoning fields aliased), and
// the jinja2 settings it compiles templates with.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "chat/jinja/template.h"

namespace qinfer::chat {

struct ChatRequest {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  std::optional<nlohmann::ordered_json> tools;  // absent: the template sees tools = none
  bool add_generation_prompt = false;
  // Extra template variables (enable_thinking, documents, ...). They override special tokens.
  nlohmann::ordered_json kwargs = nlohmann::ordered_json::object();
};

// Parses one JSONL request: {"messages": [...], "tools": [...], "add_generation_prompt": bool,
// "enable_thinking": bool, ...}; every key besides messages/tools/add_generation_prompt becomes a
// template kwarg.
Expected<ChatRequest> parse_chat_request(const nlohmann::ordered_json& object);

class ChatTemplate {
 public:
  // `special_tokens` are the name -> text pairs transformers passes (bos_token, eos_token, ...).
  // This is the seam for templates that come from GGUF metadata rather than tokenizer_config.json.
  static Expected<ChatTemplate> from_source(const std::string& source,
                                            std::vector<std::pair<std::string, std::string>> special_tokens);
  // From a Hugging Face model directory: chat_template.jinja when present, else the
  // chat_template field of tokenizer_config.json; special tokens from tokenizer_config.json.
  static Expected<ChatTemplate> from_model_dir(const std::string& model_dir);

  Expected<std::string> render(const ChatRequest& request, const jinja::RenderLimits& limits = {}) const;

 private:
  ChatTemplate() = default;
  // One template, or several by name (tokenizer_config.json may hold a list; "tool_use" is picked
  // when tools are given, as transformers does).
  std::vector<std::pair<std::string, jinja::Template>> templates_;
  std::vector<std::pair<std::string, std::string>> special_tokens_;
};

}  // namespace qinfer::chat
