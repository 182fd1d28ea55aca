#include "api/chat_tools.h"

#include <fmt/format.h>

#include <algorithm>

namespace qinfer::api {
namespace {

// {"type": "function", "function": {"name": ..., ...}}, the shape of a tool and of a named
// tool_choice: a reader of the "function" object and its name.
struct FunctionObject {
  FieldReader fields;
  std::string name;
};

ApiResult<FunctionObject> read_function_object(const FieldReader& fields) {
  std::string type;
  QINFER_API_RETURN_IF_ERROR(fields.require_string("type", type));
  if (type != "function") {
    return invalid_request(fields.param("type"),
                           fmt::format("Invalid '{}': only 'function' is supported, got '{}'.",
                                       fields.param("type"), type));
  }
  const Json* function = nullptr;
  QINFER_API_RETURN_IF_ERROR(fields.read_object("function", function));
  if (!function) return missing_field(fields.param("function"));
  FunctionObject out{FieldReader(*function, fields.param("function")), ""};
  QINFER_API_RETURN_IF_ERROR(out.fields.require_string("name", out.name));
  return out;
}

ApiResult<std::string> parse_tool(const Json& tool, const std::string& param) {
  if (!tool.is_object()) return wrong_type(param, "a tool object", tool);
  auto function = read_function_object(FieldReader(tool, param));
  if (!function) return function.error();
  const FieldReader& function_fields = function->fields;
  const std::string& name = function->name;
  if (!is_valid_function_name(name)) {
    return invalid_request(function_fields.param("name"),
                           fmt::format("Invalid '{}': '{}' does not match ^[a-zA-Z0-9_-]{{1,64}}$.",
                                       function_fields.param("name"), name));
  }
  std::string description;
  QINFER_API_RETURN_IF_ERROR(function_fields.read_string("description", description));
  const Json* parameters = nullptr;
  QINFER_API_RETURN_IF_ERROR(function_fields.read_object("parameters", parameters));
  bool strict = false;
  QINFER_API_RETURN_IF_ERROR(function_fields.read_bool("strict", strict));
  return name;
}

}  // namespace

bool is_valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

ApiResult<ChatTools> parse_chat_tools(const Json* tools) {
  ChatTools out;
  if (!tools) return out;
  if (!tools->is_array()) return wrong_type("tools", "an array", *tools);
  for (size_t i = 0; i < tools->size(); ++i) {
    const std::string param = index_path("tools", i);
    auto name = parse_tool((*tools)[i], param);
    if (!name) return name.error();
    if (std::find(out.names.begin(), out.names.end(), name.value()) != out.names.end()) {
      return invalid_request(param + ".function.name",
                             fmt::format("Invalid '{}.function.name': the name '{}' is used by an "
                                         "earlier tool.",
                                         param, name.value()));
    }
    out.names.push_back(std::move(name).value());
  }
  if (!out.names.empty()) out.tools = *tools;  // an empty list renders as no tools
  return out;
}

ApiResult<ToolChoice> parse_tool_choice(const Json* tool_choice, const ChatTools& tools) {
  const bool have_tools = !tools.names.empty();
  if (!tool_choice) return ToolChoice{have_tools ? ToolChoiceMode::kAuto : ToolChoiceMode::kNone, ""};
  auto needs_tools = [&](std::string_view what) -> MaybeApiError {
    if (have_tools) return std::nullopt;
    return invalid_request("tool_choice",
                           fmt::format("Invalid 'tool_choice': {} needs a non-empty 'tools' list.", what));
  };
  if (tool_choice->is_string()) {
    const std::string& mode = tool_choice->get_ref<const std::string&>();
    if (mode == "none") return ToolChoice{ToolChoiceMode::kNone, ""};
    if (mode == "auto") return ToolChoice{have_tools ? ToolChoiceMode::kAuto : ToolChoiceMode::kNone, ""};
    if (mode == "required") {
      QINFER_API_RETURN_IF_ERROR(needs_tools("'required'"));
      return ToolChoice{ToolChoiceMode::kRequired, ""};
    }
    return invalid_request("tool_choice",
                           fmt::format("Invalid 'tool_choice': expected 'none', 'auto', 'required' or "
                                       "a function object, got '{}'.",
                                       mode));
  }
  if (!tool_choice->is_object()) {
    return wrong_type("tool_choice", "a string or an object", *tool_choice);
  }
  auto function = read_function_object(FieldReader(*tool_choice, "tool_choice"));
  if (!function) return function.error();
  const FieldReader& function_fields = function->fields;
  const std::string& name = function->name;
  QINFER_API_RETURN_IF_ERROR(needs_tools("a named function"));
  if (std::find(tools.names.begin(), tools.names.end(), name) == tools.names.end()) {
    return invalid_request(function_fields.param("name"),
                           fmt::format("Invalid '{}': no tool named '{}' in 'tools'.",
                                       function_fields.param("name"), name));
  }
  return ToolChoice{ToolChoiceMode::kFunction, name};
}

}  // namespace qinfer::api
