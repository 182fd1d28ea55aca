// tool_call_grammar (declared in json_schema.h): the text Qwen3's chat template teaches the
// model for a call, with the arguments constrained by the tool's parameters schema.
#include <fmt/format.h>

#include "constrain/json_rules.h"
#include "constrain/json_schema.h"

namespace qinfer::constrain {

Expected<std::shared_ptr<const Grammar>> tool_call_grammar(
    const nlohmann::ordered_json& tools, const std::optional<std::string>& forced_name,
    uint32_t max_calls) {
  if (!tools.is_array() || tools.empty()) return make_error("'tools' must be a non-empty array");
  if (max_calls == 0) return make_error("a forced tool call needs max_calls >= 1");
  GrammarBuilder builder;
  JsonRules rules(builder);
  std::vector<Sequence> calls;
  try {
    for (size_t i = 0; i < tools.size(); ++i) {
      const auto& tool = tools[i];
      if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object() ||
          !tool["function"].contains("name") || !tool["function"]["name"].is_string()) {
        return make_error("tools[{}] is not a function tool with a name", i);
      }
      const auto& function = tool["function"];
      const std::string name = function["name"].get<std::string>();
      if (forced_name && name != *forced_name) continue;
      uint32_t arguments = 0;
      if (function.contains("parameters")) {
        // Each tool's schema is its own document: its $refs point inside it.
        SchemaCompiler compiler(builder, rules, function["parameters"]);
        QINFER_ASSIGN_OR_RETURN(
            arguments, compiler.compile(function["parameters"],
                                        fmt::format("tools[{}].function.parameters#", i)));
      } else {
        arguments = rules.any_object();
      }
      Sequence call = builder.literal("<tool_call>\n{\"name\": " + nlohmann::json(name).dump() +
                                      ", \"arguments\": ");
      call.push_back(builder.ref(arguments));
      builder.append_literal("}\n</tool_call>", call);
      calls.push_back(std::move(call));
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error("invalid tool schema: {}", e.what());
  }
  if (calls.empty()) {
    return make_error("tool_choice names function '{}', which is not among the tools",
                      forced_name.value_or(""));
  }
  const uint32_t call = builder.rule("tool-call", std::move(calls));
  Sequence turn = {builder.ref(call)};
  if (max_calls > 1) {
    Sequence next = builder.literal("\n");
    next.push_back(builder.ref(call));
    turn.push_back(builder.ref(builder.repeat("more-tool-calls", next, 0, max_calls - 1)));
  }
  const uint32_t root = builder.rule("tool-calls", {std::move(turn)});
  QINFER_ASSIGN_OR_RETURN(Grammar grammar, builder.build(root));
  return std::make_shared<const Grammar>(std::move(grammar));
}

}  // namespace qinfer::constrain
