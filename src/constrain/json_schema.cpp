#include "constrain/json_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <string_view>

#include "constrain/json_rules.h"

namespace qinfer::constrain {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kMaxSchemaDepth = 64;

constexpr std::array<std::string_view, 12> kAnnotations = {
    "title",      "description", "default",   "examples", "$schema", "$id",
    "$comment",   "deprecated",  "readOnly",  "writeOnly", "$defs",  "definitions"};
constexpr std::array<std::string_view, 15> kSupported = {
    "type",     "properties", "required", "additionalProperties", "items",
    "minItems", "maxItems",   "minLength", "maxLength",           "enum",
    "const",    "anyOf",      "oneOf",    "allOf",                "$ref"};
constexpr std::array<std::string_view, 3> kObjectKeywords = {"properties", "required",
                                                             "additionalProperties"};
constexpr std::array<std::string_view, 3> kArrayKeywords = {"items", "minItems", "maxItems"};
constexpr std::array<std::string_view, 2> kStringKeywords = {"minLength", "maxLength"};

template <size_t N>
bool is_one_of(std::string_view key, const std::array<std::string_view, N>& set) {
  return std::find(set.begin(), set.end(), key) != set.end();
}

template <size_t N>
bool has_any(const Json& schema, const std::array<std::string_view, N>& keys) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](std::string_view k) { return schema.contains(std::string(k)); });
}

std::string child(const std::string& path, std::string_view key) {
  std::string escaped;
  for (const char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return path + "/" + escaped;
}

// The non-annotation keywords of `schema` other than `allowed`.
std::vector<std::string> other_keywords(const Json& schema,
                                        std::initializer_list<std::string_view> allowed) {
  std::vector<std::string> others;
  for (const auto& [key, value] : schema.items()) {
    if (is_one_of(key, kAnnotations)) continue;
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    others.push_back(key);
  }
  return others;
}

Expected<uint32_t> length_keyword(const Json& schema, const char* key, const std::string& path,
                                  uint32_t fallback) {
  if (!schema.contains(key)) return fallback;
  const Json& value = schema[key];
  if (!value.is_number_integer() || value.get<int64_t>() < 0) {
    return make_error("'{}' at {} must be a non-negative integer", key, path);
  }
  const auto n = value.get<int64_t>();
  return n > static_cast<int64_t>(UINT32_MAX - 1) ? UINT32_MAX - 1 : static_cast<uint32_t>(n);
}

bool has_type(const Json& value, std::string_view type) {
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    if (!value.is_number_float()) return false;
    const double d = value.get<double>();
    return d == static_cast<double>(static_cast<int64_t>(d));
  }
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  return false;
}

Expected<std::vector<std::string>> schema_types(const Json& schema, const std::string& path) {
  std::vector<std::string> types;
  const Json& type = schema["type"];
  if (type.is_string()) {
    types.push_back(type.get<std::string>());
  } else if (type.is_array() && !type.empty()) {
    for (const Json& t : type) {
      if (!t.is_string()) return make_error("'type' at {} must list type names", path);
      types.push_back(t.get<std::string>());
    }
  } else {
    return make_error("'type' at {} must be a type name or a non-empty list of them", path);
  }
  for (const std::string& t : types) {
    if (!is_one_of(t, std::array<std::string_view, 7>{"object", "array", "string", "number",
                                                      "integer", "boolean", "null"})) {
      return make_error("unknown type '{}' at {}", t, child(path, "type"));
    }
  }
  return types;
}

}  // namespace

Expected<uint32_t> SchemaCompiler::compile(const Json& schema, const std::string& path,
                                           int depth) {
  if (depth > kMaxSchemaDepth) return make_error("schema at {} is nested too deeply", path);
  if (schema.is_boolean()) {
    if (schema.get<bool>()) return rules_.any_value();
    return make_error("schema at {} is false: no value is valid", path);
  }
  if (!schema.is_object()) return make_error("schema at {} must be an object or a boolean", path);
  for (const auto& [key, value] : schema.items()) {
    if (!is_one_of(key, kAnnotations) && !is_one_of(key, kSupported)) {
      return make_error("unsupported JSON schema keyword '{}' at {}", key, path);
    }
  }
  if (schema.contains("$ref")) {
    const auto others = other_keywords(schema, {"$ref"});
    if (!others.empty()) {
      return make_error("'$ref' at {} cannot be combined with '{}'", path, others.front());
    }
    if (!schema["$ref"].is_string()) return make_error("'$ref' at {} must be a string", path);
    return compile_ref(schema["$ref"].get<std::string>(), path, depth);
  }
  if (schema.contains("allOf")) {
    const Json& all = schema["allOf"];
    if (!all.is_array() || all.size() != 1) {
      return make_error("'allOf' at {} is supported with exactly one schema only", path);
    }
    const auto others = other_keywords(schema, {"allOf"});
    if (!others.empty()) {
      return make_error("'allOf' at {} cannot be combined with '{}'", path, others.front());
    }
    return compile(all[0], child(child(path, "allOf"), "0"), depth + 1);
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key)) continue;
    const Json& options = schema[key];
    if (!options.is_array() || options.empty()) {
      return make_error("'{}' at {} must be a non-empty array of schemas", key, path);
    }
    const auto others = other_keywords(schema, {key});
    if (!others.empty()) {
      return make_error("'{}' at {} cannot be combined with '{}'", key, path, others.front());
    }
    std::vector<Sequence> alternatives;
    for (size_t i = 0; i < options.size(); ++i) {
      QINFER_ASSIGN_OR_RETURN(
          const uint32_t option,
          compile(options[i], child(child(path, key), std::to_string(i)), depth + 1));
      alternatives.push_back({b_.ref(option)});
    }
    return b_.rule(std::string(key), std::move(alternatives));
  }
  if (schema.contains("enum") || schema.contains("const")) return compile_enum(schema, path);

  std::vector<std::string> types;
  if (schema.contains("type")) {
    QINFER_ASSIGN_OR_RETURN(types, schema_types(schema, path));
  } else {
    // Without a type, keywords of a type constrain only values of that type and every other
    // type is allowed; we generate only the types the keywords talk about (a subset: still
    // valid), and any value when there are none.
    if (has_any(schema, kObjectKeywords)) types.push_back("object");
    if (has_any(schema, kArrayKeywords)) types.push_back("array");
    if (has_any(schema, kStringKeywords)) types.push_back("string");
    if (types.empty()) return rules_.any_value();
  }
  if (types.size() == 1) return compile_typed(schema, types[0], path, depth);
  std::vector<Sequence> alternatives;
  for (const std::string& type : types) {
    QINFER_ASSIGN_OR_RETURN(const uint32_t rule, compile_typed(schema, type, path, depth));
    alternatives.push_back({b_.ref(rule)});
  }
  return b_.rule("types", std::move(alternatives));
}

Expected<uint32_t> SchemaCompiler::compile_ref(const std::string& ref, const std::string& path,
                                               int depth) {
  for (const auto& [known, rule] : refs_) {
    if (known == ref) return rule;
  }
  const Json* target = nullptr;
  if (ref == "#") {
    target = &document_;
  } else if (ref.starts_with("#/")) {
    try {
      const nlohmann::ordered_json::json_pointer pointer(ref.substr(1));
      if (document_.contains(pointer)) target = &document_.at(pointer);
    } catch (const nlohmann::json::exception&) {
      target = nullptr;
    }
  }
  if (target == nullptr) {
    return make_error("'$ref' '{}' at {} does not name a schema in this document (only local "
                      "references such as #/$defs/NAME are supported)", ref, path);
  }
  // Declared before compiling the target, so that a recursive reference finds it.
  const uint32_t rule = b_.declare("ref " + ref);
  refs_.push_back({ref, rule});
  QINFER_ASSIGN_OR_RETURN(const uint32_t body, compile(*target, ref, depth + 1));
  b_.add_alternative(rule, {b_.ref(body)});
  return rule;
}

Expected<uint32_t> SchemaCompiler::compile_enum(const Json& schema, const std::string& path) {
  const auto others = other_keywords(schema, {"enum", "const", "type"});
  if (!others.empty()) {
    return make_error("'{}' at {} cannot be combined with 'enum' or 'const'", others.front(),
                      path);
  }
  std::vector<const Json*> values;
  if (schema.contains("enum")) {
    const Json& list = schema["enum"];
    if (!list.is_array() || list.empty()) {
      return make_error("'enum' at {} must be a non-empty array", path);
    }
    for (const Json& v : list) {
      if (!schema.contains("const") || v == schema["const"]) values.push_back(&v);
    }
  } else {
    values.push_back(&schema["const"]);
  }
  std::vector<std::string> types;
  if (schema.contains("type")) {
    QINFER_ASSIGN_OR_RETURN(types, schema_types(schema, path));
  }
  std::vector<Sequence> alternatives;
  std::vector<std::string> seen;
  for (const Json* value : values) {
    if (!types.empty() && std::none_of(types.begin(), types.end(), [&](const std::string& t) {
          return has_type(*value, t);
        })) {
      continue;
    }
    std::string text;
    try {
      text = value->dump();
    } catch (const nlohmann::json::exception& e) {
      return make_error("'enum' value at {} cannot be written as JSON: {}", path, e.what());
    }
    if (std::find(seen.begin(), seen.end(), text) != seen.end()) continue;
    seen.push_back(text);
    alternatives.push_back(b_.literal(text));
  }
  if (alternatives.empty()) {
    return make_error("no 'enum'/'const' value at {} satisfies the schema's other keywords", path);
  }
  return b_.rule("enum", std::move(alternatives));
}

Expected<uint32_t> SchemaCompiler::compile_typed(const Json& schema, const std::string& type,
                                                 const std::string& path, int depth) {
  if (type == "object") return compile_object(schema, path, depth);
  if (type == "array") return compile_array(schema, path, depth);
  if (type == "string") return compile_string(schema, path);
  if (type == "number") return rules_.number();
  if (type == "integer") return rules_.integer();
  if (type == "boolean") return rules_.boolean();
  assert(type == "null");
  return rules_.null();
}

Expected<uint32_t> SchemaCompiler::compile_string(const Json& schema, const std::string& path) {
  QINFER_ASSIGN_OR_RETURN(const uint32_t min, length_keyword(schema, "minLength", path, 0));
  QINFER_ASSIGN_OR_RETURN(const uint32_t max,
                          length_keyword(schema, "maxLength", path, kUnboundedLength));
  if (min > max) return make_error("'minLength' {} exceeds 'maxLength' {} at {}", min, max, path);
  if (min > kMaxCountedLength) return make_error("'minLength' at {} is too large", path);
  return rules_.string({min, max, StringFlavor::kJson});
}

Expected<uint32_t> SchemaCompiler::compile_array(const Json& schema, const std::string& path,
                                                 int depth) {
  uint32_t item = 0;
  if (schema.contains("items")) {
    if (schema["items"].is_array()) {
      return make_error("'items' as an array (tuple validation) at {} is not supported", path);
    }
    QINFER_ASSIGN_OR_RETURN(item, compile(schema["items"], child(path, "items"), depth + 1));
  } else {
    item = rules_.any_value();
  }
  QINFER_ASSIGN_OR_RETURN(const uint32_t min, length_keyword(schema, "minItems", path, 0));
  QINFER_ASSIGN_OR_RETURN(const uint32_t max,
                          length_keyword(schema, "maxItems", path, GrammarBuilder::kUnbounded));
  if (min > max) return make_error("'minItems' {} exceeds 'maxItems' {} at {}", min, max, path);
  if (min > kMaxExpandedItems || (max != GrammarBuilder::kUnbounded && max > kMaxExpandedItems)) {
    return make_error("'minItems'/'maxItems' above {} at {} are not supported", kMaxExpandedItems,
                      path);
  }
  Sequence array = b_.literal("[");
  if (max == 0) {
    b_.append_literal("]", array);
    return b_.rule("array", {std::move(array)});
  }
  // [ item ("," ws item){min-1 .. max-1} ]  (or "[]" when min is 0)
  Sequence separated = b_.literal(",");
  separated.push_back(rules_.ws());
  separated.push_back(b_.ref(item));
  const uint32_t first = std::max(min, 1u) - 1;
  const uint32_t last = max == GrammarBuilder::kUnbounded ? max : max - 1;
  Sequence items = {b_.ref(item), b_.ref(b_.repeat("items", separated, first, last))};
  b_.append_literal("]", items);
  if (min == 0) {
    const uint32_t body = b_.rule("array-body", {b_.literal("]"), std::move(items)});
    array.push_back(b_.ref(body));
  } else {
    array.insert(array.end(), items.begin(), items.end());
  }
  return b_.rule("array", {std::move(array)});
}

Expected<uint32_t> SchemaCompiler::compile_object(const Json& schema, const std::string& path,
                                                  int depth) {
  struct Property {
    std::string name;
    uint32_t value = 0;
    bool required = false;
  };
  std::vector<Property> properties;
  if (schema.contains("properties")) {
    const Json& declared = schema["properties"];
    if (!declared.is_object()) return make_error("'properties' at {} must be an object", path);
    for (const auto& [name, sub] : declared.items()) {
      QINFER_ASSIGN_OR_RETURN(
          const uint32_t value,
          compile(sub, child(child(path, "properties"), name), depth + 1));
      properties.push_back({name, value, false});
    }
  }
  if (schema.contains("required")) {
    const Json& required = schema["required"];
    if (!required.is_array()) return make_error("'required' at {} must be an array", path);
    for (const Json& entry : required) {
      if (!entry.is_string()) return make_error("'required' at {} must list names", path);
      const std::string name = entry.get<std::string>();
      const auto it = std::find_if(properties.begin(), properties.end(),
                                   [&](const Property& p) { return p.name == name; });
      if (it != properties.end()) {
        it->required = true;
      } else {  // required but undeclared: any value, after the declared ones
        properties.push_back({name, rules_.any_value(), true});
      }
    }
  }
  // additionalProperties: absent or true -> any value; a schema -> that; false -> none.
  std::optional<uint32_t> extra_value;
  if (!schema.contains("additionalProperties")) {
    extra_value = rules_.any_value();
  } else if (const Json& extra = schema["additionalProperties"];
             !(extra.is_boolean() && !extra.get<bool>())) {
    QINFER_ASSIGN_OR_RETURN(extra_value,
                            compile(extra, child(path, "additionalProperties"), depth + 1));
  }

  // Properties go in schema order. F[i]: properties i.. with nothing written yet; N[i]: the
  // same after something was written (so each needs a leading comma). An optional property may
  // be skipped; extra keys come last and loop in N[n].
  const size_t n = properties.size();
  std::vector<uint32_t> first(n + 1), next(n + 1);
  for (size_t i = 0; i <= n; ++i) {
    first[i] = b_.declare(fmt::format("object-first{}", i));
    next[i] = b_.declare(fmt::format("object-next{}", i));
  }
  Sequence extra_member;
  if (extra_value) {
    std::vector<std::string> names;
    for (const Property& p : properties) names.push_back(p.name);
    extra_member.push_back(
        b_.ref(names.empty() ? rules_.string({}) : rules_.key_excluding(names)));
    b_.append_literal(":", extra_member);
    extra_member.push_back(rules_.ws());
    extra_member.push_back(b_.ref(*extra_value));
  }
  const auto comma = [&] {
    Sequence s = b_.literal(",");
    s.push_back(rules_.ws());
    return s;
  };
  b_.add_alternative(first[n], b_.literal("}"));
  b_.add_alternative(next[n], b_.literal("}"));
  if (extra_value) {
    Sequence once = extra_member;
    once.push_back(b_.ref(next[n]));
    b_.add_alternative(first[n], once);
    Sequence again = comma();
    again.insert(again.end(), once.begin(), once.end());
    b_.add_alternative(next[n], std::move(again));
  }
  for (size_t i = 0; i < n; ++i) {
    Sequence member = b_.literal(nlohmann::json(properties[i].name).dump() + ":");
    member.push_back(rules_.ws());
    member.push_back(b_.ref(properties[i].value));
    member.push_back(b_.ref(next[i + 1]));
    b_.add_alternative(first[i], member);
    Sequence after_comma = comma();
    after_comma.insert(after_comma.end(), member.begin(), member.end());
    b_.add_alternative(next[i], std::move(after_comma));
    if (!properties[i].required) {
      b_.add_alternative(first[i], {b_.ref(first[i + 1])});
      b_.add_alternative(next[i], {b_.ref(next[i + 1])});
    }
  }
  Sequence object = b_.literal("{");
  object.push_back(b_.ref(first[0]));
  return b_.rule("object", {std::move(object)});
}

Expected<std::shared_ptr<const Grammar>> compile_json_schema(const Json& schema) {
  GrammarBuilder builder;
  JsonRules rules(builder);
  SchemaCompiler compiler(builder, rules, schema);
  try {
    QINFER_ASSIGN_OR_RETURN(const uint32_t root, compiler.compile(schema, "#"));
    QINFER_ASSIGN_OR_RETURN(Grammar grammar, builder.build(root));
    return std::make_shared<const Grammar>(std::move(grammar));
  } catch (const nlohmann::json::exception& e) {
    return make_error("invalid JSON schema: {}", e.what());
  }
}

std::shared_ptr<const Grammar> any_json_object() {
  static const std::shared_ptr<const Grammar> grammar = [] {
    GrammarBuilder builder;
    JsonRules rules(builder);
    auto built = builder.build(rules.any_object());
    assert(built.ok());
    return std::make_shared<const Grammar>(std::move(built).value());
  }();
  return grammar;
}

}  // namespace qinfer::constrain
