#include "api/chat_completion_request.h"

#include <fmt/format.h>

#include <limits>

#include "api/chat_messages.h"

namespace qinfer::api {
namespace {

// Template variables a kwarg must not replace: they are the conversation itself.
constexpr std::string_view kReservedTemplateVariables[] = {"messages", "tools",
                                                           "add_generation_prompt"};

ApiResult<ResponseFormat> parse_response_format(const FieldReader& body) {
  ResponseFormat out;
  const Json* format = nullptr;
  QINFER_API_RETURN_IF_ERROR(body.read_object("response_format", format));
  if (!format) return out;
  const FieldReader fields(*format, "response_format");
  std::string type;
  QINFER_API_RETURN_IF_ERROR(fields.require_string("type", type));
  if (type == "text") return out;
  if (type == "json_object") {
    out.type = ResponseFormatType::kJsonObject;
    return out;
  }
  if (type != "json_schema") {
    return invalid_request(fields.param("type"),
                           fmt::format("Invalid '{}': expected 'text', 'json_object' or "
                                       "'json_schema', got '{}'.",
                                       fields.param("type"), type));
  }
  const Json* json_schema = nullptr;
  QINFER_API_RETURN_IF_ERROR(fields.read_object("json_schema", json_schema));
  if (!json_schema) return missing_field(fields.param("json_schema"));
  const FieldReader schema_fields(*json_schema, fields.param("json_schema"));
  std::string name;
  QINFER_API_RETURN_IF_ERROR(schema_fields.require_string("name", name));
  if (!is_valid_function_name(name)) {
    return invalid_request(schema_fields.param("name"),
                           fmt::format("Invalid '{}': '{}' does not match ^[a-zA-Z0-9_-]{{1,64}}$.",
                                       schema_fields.param("name"), name));
  }
  std::string description;
  QINFER_API_RETURN_IF_ERROR(schema_fields.read_string("description", description));
  const Json* schema = nullptr;
  QINFER_API_RETURN_IF_ERROR(schema_fields.read_object("schema", schema));
  if (!schema) return missing_field(schema_fields.param("schema"));
  bool strict = false;
  QINFER_API_RETURN_IF_ERROR(schema_fields.read_bool("strict", strict));
  out.type = ResponseFormatType::kJsonSchema;
  out.json_schema = *json_schema;
  return out;
}

MaybeApiError parse_template_kwargs(const FieldReader& body, const RequestDefaults& defaults,
                                    ChatCompletionParams& out) {
  const Json* kwargs = nullptr;
  QINFER_API_RETURN_IF_ERROR(body.read_object("chat_template_kwargs", kwargs));
  out.enable_thinking = defaults.enable_thinking;
  if (kwargs) {
    for (std::string_view reserved : kReservedTemplateVariables) {
      if (kwargs->contains(reserved)) {
        const std::string param = fmt::format("chat_template_kwargs.{}", reserved);
        return invalid_request(param, fmt::format("Invalid '{}': set it as a request field, not a "
                                                  "template kwarg.", param));
      }
    }
    QINFER_API_RETURN_IF_ERROR(
        FieldReader(*kwargs, "chat_template_kwargs").read_bool("enable_thinking", out.enable_thinking));
    out.chat.kwargs = *kwargs;
  }
  out.chat.kwargs["enable_thinking"] = out.enable_thinking;
  return std::nullopt;
}

MaybeApiError parse_logprobs(const FieldReader& body, GenerationOptions& out) {
  QINFER_API_RETURN_IF_ERROR(body.read_bool("logprobs", out.logprobs));
  int64_t top_logprobs = 0;
  QINFER_API_RETURN_IF_ERROR(body.read_integer("top_logprobs", 0, kMaxTopLogprobs, top_logprobs));
  if (top_logprobs > 0 && !out.logprobs) {
    return invalid_request("top_logprobs",
                           "Invalid 'top_logprobs': 'logprobs' must be true when it is used.");
  }
  out.top_logprobs = static_cast<int>(top_logprobs);
  return std::nullopt;
}

MaybeApiError check_modalities(const FieldReader& body) {
  const Json* modalities = body.find("modalities");
  if (!modalities) return std::nullopt;
  if (!modalities->is_array()) return wrong_type("modalities", "an array", *modalities);
  for (const Json& modality : *modalities) {
    if (modality != "text") {
      return invalid_request("modalities", "Invalid 'modalities': only [\"text\"] is supported.");
    }
  }
  return std::nullopt;
}

}  // namespace

ApiResult<ChatCompletionParams> parse_chat_completion_request(const Json& body,
                                                              const RequestDefaults& defaults) {
  if (!body.is_object()) return wrong_type("", "a JSON object as the request body", body);
  const FieldReader fields(body, "");
  ChatCompletionParams out;
  QINFER_API_RETURN_IF_ERROR(fields.require_string("model", out.model));

  auto messages = parse_chat_messages(fields.find("messages"));
  if (!messages) return messages.error();
  out.chat.messages = std::move(messages).value();
  out.chat.add_generation_prompt = true;

  auto tools = parse_chat_tools(fields.find("tools"));
  if (!tools) return tools.error();
  auto tool_choice = parse_tool_choice(fields.find("tool_choice"), tools.value());
  if (!tool_choice) return tool_choice.error();
  out.tool_choice = tool_choice.value();
  out.tool_names = tools.value().names;
  if (out.tool_choice.mode != ToolChoiceMode::kNone) out.chat.tools = std::move(tools.value().tools);
  QINFER_API_RETURN_IF_ERROR(fields.read_bool("parallel_tool_calls", out.parallel_tool_calls));

  QINFER_API_RETURN_IF_ERROR(parse_generation_options(body, defaults, out.generation));
  QINFER_API_RETURN_IF_ERROR(
      fields.read_integer("max_completion_tokens", 1, std::numeric_limits<int64_t>::max(),
                          out.generation.max_tokens));
  QINFER_API_RETURN_IF_ERROR(parse_logprobs(fields, out.generation));

  auto response_format = parse_response_format(fields);
  if (!response_format) return response_format.error();
  out.response_format = std::move(response_format).value();
  QINFER_API_RETURN_IF_ERROR(parse_template_kwargs(fields, defaults, out));

  std::string user;
  QINFER_API_RETURN_IF_ERROR(fields.read_string("user", user));
  QINFER_API_RETURN_IF_ERROR(check_modalities(fields));
  QINFER_API_RETURN_IF_ERROR(reject_unsupported_fields(
      body, {"functions", "function_call", "audio", "prediction", "web_search_options"}));
  return out;
}

}  // namespace qinfer::api
