#include "chat/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat/jinja/error.h"
#include "chat/jinja/json.h"

namespace qinfer::chat {
namespace {

using json = nlohmann::ordered_json;

// Names under which a message's reasoning may arrive; transformers copies the first one set into
// both `thinking` and `reasoning_content` (chat_template_utils._alias_reasoning_fields).
constexpr const char* kReasoningFields[] = {"reasoning_content", "thinking", "reasoning"};

Expected<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open {}", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// apply_chat_template drops None-valued keys, then aliases the reasoning fields.
json normalize_message(const json& message) {
  json out = json::object();
  for (const auto& [key, value] : message.items()) {
    if (!value.is_null()) out[key] = value;
  }
  const json* reasoning = nullptr;
  for (const char* field : kReasoningFields) {
    if (out.contains(field)) {
      reasoning = &out[field];
      break;
    }
  }
  if (!reasoning) return out;
  // Python: {"thinking": reasoning, **message, "reasoning_content": reasoning}
  json aliased = json::object();
  const json value = *reasoning;
  aliased["thinking"] = value;
  for (const auto& [key, item] : out.items()) aliased[key] = item;
  aliased["reasoning_content"] = value;
  return aliased;
}

}  // namespace

Expected<ChatRequest> parse_chat_request(const json& object) {
  if (!object.is_object()) return make_error("request must be a JSON object, got {}", object.type_name());
  ChatRequest request;
  for (const auto& [key, value] : object.items()) {
    if (key == "messages") {
      if (!value.is_array()) return make_error("\"messages\" must be an array");
      request.messages = value;
    } else if (key == "tools") {
      if (!value.is_null()) {
        if (!value.is_array()) return make_error("\"tools\" must be an array or null");
        request.tools = value;
      }
    } else if (key == "add_generation_prompt") {
      if (!value.is_boolean()) return make_error("\"add_generation_prompt\" must be a boolean");
      request.add_generation_prompt = value.get<bool>();
    } else {
      request.kwargs[key] = value;
    }
  }
  if (!object.contains("messages")) return make_error("request has no \"messages\"");
  return request;
}

Expected<ChatTemplate> ChatTemplate::from_source(const std::string& source,
                                                 std::vector<std::pair<std::string, std::string>> special_tokens) {
  ChatTemplate result;
  QINFER_ASSIGN_OR_RETURN(auto parsed, jinja::Template::parse(source));
  result.templates_.emplace_back("default", std::move(parsed));
  result.special_tokens_ = std::move(special_tokens);
  return result;
}

Expected<ChatTemplate> ChatTemplate::from_model_dir(const std::string& model_dir) {
  const std::filesystem::path dir(model_dir);
  const auto config_path = dir / "tokenizer_config.json";
  QINFER_ASSIGN_OR_RETURN(const std::string config_text, read_file(config_path));
  const json config = json::parse(config_text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) return make_error("{}: not a JSON object", config_path.string());

  ChatTemplate result;
  // The special tokens transformers' special_tokens_map holds: those set (not null) in the config.
  for (const char* name : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    if (!config.contains(name)) continue;
    const json& token = config[name];
    if (token.is_string()) result.special_tokens_.emplace_back(name, token.get<std::string>());
    if (token.is_object() && token.contains("content") && token["content"].is_string()) {
      result.special_tokens_.emplace_back(name, token["content"].get<std::string>());
    }
  }

  const auto jinja_path = dir / "chat_template.jinja";
  if (std::filesystem::exists(jinja_path)) {
    QINFER_ASSIGN_OR_RETURN(const std::string source, read_file(jinja_path));
    auto parsed = jinja::Template::parse(source);
    if (!parsed) return make_error("{}: {}", jinja_path.string(), parsed.error().message);
    result.templates_.emplace_back("default", std::move(parsed).value());
    return result;
  }
  if (!config.contains("chat_template")) return make_error("{} has no chat_template", config_path.string());
  const json& field = config["chat_template"];
  auto add = [&](const std::string& name, const json& source) -> Status {
    if (!source.is_string()) return make_error("{}: chat_template '{}' is not a string", config_path.string(), name);
    auto parsed = jinja::Template::parse(source.get<std::string>());
    if (!parsed) return make_error("{}: {}", config_path.string(), parsed.error().message);
    result.templates_.emplace_back(name, std::move(parsed).value());
    return ok_status();
  };
  if (field.is_array()) {
    for (const json& entry : field) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("template")) {
        return make_error("{}: chat_template list entries need \"name\" and \"template\"", config_path.string());
      }
      QINFER_RETURN_IF_ERROR(add(entry["name"].get<std::string>(), entry["template"]));
    }
  } else {
    QINFER_RETURN_IF_ERROR(add("default", field));
  }
  return result;
}

Expected<std::string> ChatTemplate::render(const ChatRequest& request, const jinja::RenderLimits& limits) const {
  const jinja::Template* chosen = nullptr;
  const std::string wanted = request.tools && templates_.size() > 1 ? "tool_use" : "default";
  for (const auto& [name, tmpl] : templates_) {
    if (name == wanted || (!chosen && name == "default")) chosen = &tmpl;
  }
  if (!chosen && templates_.size() == 1) chosen = &templates_[0].second;
  if (!chosen) return make_error("no \"default\" chat template among the named templates");
  if (request.messages.empty()) {
    return make_error("cannot apply chat template to an empty conversation; provide at least one message");
  }

  json messages = json::array();
  for (size_t i = 0; i < request.messages.size(); ++i) {
    if (!request.messages[i].is_object()) return make_error("messages[{}] is not an object", i);
    messages.push_back(normalize_message(request.messages[i]));
  }
  if (request.tools) {
    for (size_t i = 0; i < request.tools->size(); ++i) {
      if (!(*request.tools)[i].is_object()) return make_error("tools[{}] is not an object", i);
    }
  }

  jinja::Dict variables;
  try {
    variables.set(jinja::Value("messages"), jinja::value_from_json(messages));
    variables.set(jinja::Value("tools"), request.tools ? jinja::value_from_json(*request.tools) : jinja::Value::none());
    variables.set(jinja::Value("documents"), jinja::Value::none());
    variables.set(jinja::Value("add_generation_prompt"), jinja::Value(request.add_generation_prompt));
    for (const auto& [name, text] : special_tokens_) variables.set(jinja::Value(name), jinja::Value(text));
    for (const auto& [key, value] : request.kwargs.items()) variables.set(jinja::Value(key), jinja::value_from_json(value));
  } catch (const jinja::TemplateError& e) {
    return make_error("{}", e.message());
  }
  return chosen->render(variables, limits);
}

}  // namespace qinfer::chat
