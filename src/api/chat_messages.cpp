#include "api/chat_messages.h"

#include <fmt/format.h>

#include <string_view>

namespace qinfer::api {
namespace {

// "text" parts joined with "\n"; `param` is the content's path, for errors.
ApiResult<std::string> join_text_parts(const Json& parts, const std::string& param) {
  if (parts.empty()) {
    return invalid_request(param, fmt::format("Invalid '{}': an array of content parts must not be empty.", param));
  }
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Json& part = parts[i];
    const std::string part_param = index_path(param, i);
    if (!part.is_object()) return wrong_type(part_param, "a content part object", part);
    const FieldReader fields(part, part_param);
    std::string type;
    QINFER_API_RETURN_IF_ERROR(fields.require_string("type", type));
    if (type != "text") {
      return invalid_request(fields.param("type"),
                             fmt::format("Invalid '{}': content part type '{}' is not supported; "
                                         "only text content is supported.",
                                         fields.param("type"), type));
    }
    std::string part_text;
    QINFER_API_RETURN_IF_ERROR(fields.require_string("text", part_text));
    if (i > 0) text += '\n';
    text += part_text;
  }
  return text;
}

// Content as a string; nullopt when absent or null (the caller decides whether that is allowed).
ApiResult<std::optional<std::string>> read_content(const FieldReader& message) {
  const Json* content = message.find("content");
  if (!content) return std::optional<std::string>();
  const std::string param = message.param("content");
  if (content->is_string()) return std::optional<std::string>(content->get<std::string>());
  if (!content->is_array()) return wrong_type(param, "a string or an array of content parts", *content);
  auto joined = join_text_parts(*content, param);
  if (!joined) return joined.error();
  return std::optional<std::string>(std::move(joined).value());
}

ApiResult<Json> parse_tool_call(const Json& call, const std::string& param) {
  if (!call.is_object()) return wrong_type(param, "an object", call);
  const FieldReader fields(call, param);
  Json out = Json::object();
  std::optional<std::string> id;
  QINFER_API_RETURN_IF_ERROR(fields.read_string("id", id));
  if (id) out["id"] = *id;
  std::string type = "function";
  QINFER_API_RETURN_IF_ERROR(fields.read_string("type", type));
  if (type != "function") {
    return invalid_request(fields.param("type"),
                           fmt::format("Invalid '{}': only 'function' tool calls are supported, got '{}'.",
                                       fields.param("type"), type));
  }
  out["type"] = "function";
  const Json* function = nullptr;
  QINFER_API_RETURN_IF_ERROR(fields.read_object("function", function));
  if (!function) return missing_field(fields.param("function"));
  const FieldReader function_fields(*function, fields.param("function"));
  std::string name;
  QINFER_API_RETURN_IF_ERROR(function_fields.require_string("name", name));
  const Json* arguments = function_fields.find("arguments");
  if (!arguments) return missing_field(function_fields.param("arguments"));
  if (!arguments->is_string() && !arguments->is_object()) {
    return wrong_type(function_fields.param("arguments"), "a string (JSON text) or an object", *arguments);
  }
  out["function"] = Json{{"name", name}, {"arguments", *arguments}};
  return out;
}

MaybeApiError parse_assistant(const FieldReader& message, Json& out) {
  auto content = read_content(message);
  if (!content) return content.error();
  for (std::string_view key : {"reasoning_content", "reasoning"}) {
    std::optional<std::string> reasoning;
    QINFER_API_RETURN_IF_ERROR(message.read_string(key, reasoning));
    if (reasoning) {
      out["reasoning_content"] = *reasoning;
      break;
    }
  }
  bool has_tool_calls = false;
  if (const Json* calls = message.find("tool_calls")) {
    if (!calls->is_array()) return wrong_type(message.param("tool_calls"), "an array", *calls);
    Json normalized = Json::array();
    for (size_t i = 0; i < calls->size(); ++i) {
      auto call = parse_tool_call((*calls)[i], index_path(message.param("tool_calls"), i));
      if (!call) return call.error();
      normalized.push_back(std::move(call).value());
    }
    has_tool_calls = !normalized.empty();
    if (has_tool_calls) out["tool_calls"] = std::move(normalized);
  }
  if (!content.value() && !has_tool_calls) {
    return invalid_request(message.param("content"),
                           fmt::format("Invalid '{}': an assistant message needs 'content' unless "
                                       "it has 'tool_calls'.",
                                       message.param("content")));
  }
  out["content"] = content.value().value_or("");
  return std::nullopt;
}

ApiResult<Json> parse_message(const Json& message, const std::string& param) {
  if (!message.is_object()) return wrong_type(param, "a message object", message);
  const FieldReader fields(message, param);
  std::string role;
  QINFER_API_RETURN_IF_ERROR(fields.require_string("role", role));
  Json out = Json::object();
  if (role == "system" || role == "developer" || role == "user" || role == "tool") {
    out["role"] = role == "developer" ? "system" : role;
    auto content = read_content(fields);
    if (!content) return content.error();
    if (!content.value()) return missing_field(fields.param("content"));
    out["content"] = *content.value();
    if (role == "tool") {
      std::optional<std::string> tool_call_id;
      QINFER_API_RETURN_IF_ERROR(fields.read_string("tool_call_id", tool_call_id));
      if (tool_call_id) out["tool_call_id"] = *tool_call_id;
    }
  } else if (role == "assistant") {
    out["role"] = role;
    QINFER_API_RETURN_IF_ERROR(parse_assistant(fields, out));
  } else {
    return invalid_request(fields.param("role"),
                           fmt::format("Invalid '{}': unknown role '{}'; expected one of system, "
                                       "developer, user, assistant, tool.",
                                       fields.param("role"), role));
  }
  std::optional<std::string> name;
  QINFER_API_RETURN_IF_ERROR(fields.read_string("name", name));
  if (name) out["name"] = *name;
  return out;
}

}  // namespace

ApiResult<Json> parse_chat_messages(const Json* messages) {
  if (!messages) return missing_field("messages");
  if (!messages->is_array()) return wrong_type("messages", "an array", *messages);
  if (messages->empty()) {
    return invalid_request("messages", "Invalid 'messages': expected at least one message.");
  }
  Json out = Json::array();
  for (size_t i = 0; i < messages->size(); ++i) {
    auto message = parse_message((*messages)[i], index_path("messages", i));
    if (!message) return message.error();
    out.push_back(std::move(message).value());
  }
  return out;
}

}  // namespace qinfer::api
