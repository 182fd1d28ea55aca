// JSON Schema -> grammar, for OpenAI's response_format and tool parameters.
//
// Supported (everything else is an error naming the keyword and where it is, never ignored):
//   type (one or a list): object, array, string, number, integer, boolean, null
//   object: properties (emitted in the schema's order; required ones always, optional ones may
//     be left out), required, additionalProperties false / true / absent / a schema (extra keys
//     come after the declared properties, are plain ASCII without escapes and never equal a
//     declared name, so the object stays valid)
//   array: items, minItems, maxItems (expanded; at most kMaxExpandedItems)
//   string: minLength, maxLength (in characters)
//   enum, const (any JSON values, written compactly; with `type` beside them, values of other
//     types are dropped)
//   anyOf, oneOf (as anyOf: alternatives that overlap would need every match checked), allOf
//     with a single schema, $ref to "#", "#/$defs/..." or "#/definitions/..." (recursion allowed
//     when something is consumed before recursing)
//   annotations, ignored by definition: title, description, default, examples, $schema, $id,
//     $comment, deprecated, readOnly, writeOnly, $defs, definitions
// `true` / `{}` accept any JSON value (nested at most kAnyValueDepth levels).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/expected.h"
#include "constrain/grammar.h"

namespace qinfer::constrain {

inline constexpr uint32_t kMaxExpandedItems = 256;

// A grammar whose documents are exactly the JSON values the schema accepts (up to the bounds of
// json_rules.h).
Expected<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::ordered_json& schema);

// response_format json_object: any JSON object.
std::shared_ptr<const Grammar> any_json_object();

// A Qwen3 tool call: `<tool_call>\n{"name": "NAME", "arguments": ARGS}\n</tool_call>`, ARGS
// matching that tool's `parameters` schema (any object when it has none). `tools` is the
// request's array of {"type": "function", "function": {"name", "parameters", ...}}; with
// `forced_name` only that tool, else any of them (tool_choice "required"). Up to `max_calls`
// calls, one after another separated by a newline, as the template renders several calls of one
// turn (parallel_tool_calls).
Expected<std::shared_ptr<const Grammar>> tool_call_grammar(
    const nlohmann::ordered_json& tools, const std::optional<std::string>& forced_name,
    uint32_t max_calls = 1);

class GrammarBuilder;
class JsonRules;

// Compiles schemas into an existing builder (tool_call_grammar puts several in one grammar).
// `document` is the root the schema's $refs point into; it must outlive the compiler.
class SchemaCompiler {
 public:
  SchemaCompiler(GrammarBuilder& builder, JsonRules& rules, const nlohmann::ordered_json& document)
      : b_(builder), rules_(rules), document_(document) {}

  // A rule matching the values `schema` accepts; `path` names it in errors ("#/properties/x").
  Expected<uint32_t> compile(const nlohmann::ordered_json& schema, const std::string& path,
                             int depth = 0);

 private:
  Expected<uint32_t> compile_ref(const std::string& ref, const std::string& path, int depth);
  Expected<uint32_t> compile_enum(const nlohmann::ordered_json& schema, const std::string& path);
  Expected<uint32_t> compile_typed(const nlohmann::ordered_json& schema, const std::string& type,
                                   const std::string& path, int depth);
  Expected<uint32_t> compile_object(const nlohmann::ordered_json& schema, const std::string& path,
                                    int depth);
  Expected<uint32_t> compile_array(const nlohmann::ordered_json& schema, const std::string& path,
                                   int depth);
  Expected<uint32_t> compile_string(const nlohmann::ordered_json& schema, const std::string& path);

  GrammarBuilder& b_;
  JsonRules& rules_;
  const nlohmann::ordered_json& document_;
  std::vector<std::pair<std::string, uint32_t>> refs_;  // $ref -> its rule
};

}  // namespace qinfer::constrain
