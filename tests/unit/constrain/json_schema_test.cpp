// Schemas outside the supported subset are errors that name the keyword and where it is.
#include "constrain/json_schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qinfer::constrain {
namespace {

using Json = nlohmann::ordered_json;

TEST(CompileJsonSchema, UnsupportedKeywordsAreNamedWithTheirPath) {
  struct Case {
    const char* schema;
    const char* keyword;
    const char* path;
  };
  const std::vector<Case> cases = {
      {R"({"type": "string", "pattern": "^a+$"})", "'pattern'", "#"},
      {R"({"type": "string", "format": "date"})", "'format'", "#"},
      {R"({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}})",
       "'minimum'", "#/properties/n"},
      {R"({"type": "number", "maximum": 3})", "'maximum'", "#"},
      {R"({"type": "number", "multipleOf": 3})", "'multipleOf'", "#"},
      {R"({"type": "array", "uniqueItems": true})", "'uniqueItems'", "#"},
      {R"({"type": "object", "patternProperties": {}})", "'patternProperties'", "#"},
      {R"({"if": {}, "then": {}})", "'if'", "#"},
      {R"({"not": {"type": "null"}})", "'not'", "#"},
      {R"({"allOf": [{"type": "null"}, {"type": "null"}]})", "'allOf'", "#"},
      {R"({"type": "array", "items": {"anyOf": [{"type": "string", "format": "email"}]}})",
       "'format'", "#/items/anyOf/0"},
      {R"({"type": "object", "properties": {"a/b": {"contains": {}}}})", "'contains'",
       "#/properties/a~1b"},
      {R"({"$ref": "https://example.com/s.json"})", "'$ref'", "#"},
      {R"({"$ref": "#/$defs/missing"})", "'$ref'", "#"},
      {R"({"type": "strin"})", "'strin'", "#/type"},
      {R"({"type": "string", "minLength": 3, "maxLength": 2})", "'minLength'", "#"},
      {R"({"type": "array", "maxItems": 100000})", "'maxItems'", "#"},
      {R"({"type": "array", "items": [{"type": "integer"}]})", "'items'", "#"},
      {R"({"enum": [1], "minimum": 0})", "'minimum'", "#"},
      {R"({"type": "string", "enum": [1, 2]})", "'enum'", "#"},
      {R"({"anyOf": [{"type": "null"}], "type": "string"})", "'anyOf'", "#"},
      {R"({"type": "object", "properties": {"x": false}})", "false", "#/properties/x"},
      {R"({"$defs": {"a": {"anyOf": [{"$ref": "#/$defs/a"}, {"type": "null"}]}},
           "$ref": "#/$defs/a"})", "left-recursive", ""},
  };
  for (const Case& c : cases) {
    auto grammar = compile_json_schema(Json::parse(c.schema));
    ASSERT_FALSE(grammar.ok()) << c.schema;
    const std::string& message = grammar.error().message;
    EXPECT_NE(message.find(c.keyword), std::string::npos) << message;
    if (*c.path != 0) {
      EXPECT_NE(message.find(std::string("at ") + c.path), std::string::npos) << message;
    }
  }
}

TEST(CompileJsonSchema, AnnotationsAndOpenAiStrictSchemasCompile) {
  const char* schema = R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Order", "description": "An order lookup result", "type": "object",
    "properties": {
      "order_id": {"type": "string", "description": "id", "examples": ["A-1"]},
      "status": {"type": "string", "enum": ["pending", "shipped", "delivered"]},
      "items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "maxItems": 5},
      "note": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "null"}], "default": null}
    },
    "required": ["order_id", "status", "items", "note"],
    "additionalProperties": false,
    "$defs": {"item": {"type": "object", "properties": {"sku": {"type": "string"},
      "qty": {"type": "integer"}}, "required": ["sku", "qty"], "additionalProperties": false}}
  })";
  auto grammar = compile_json_schema(Json::parse(schema));
  ASSERT_TRUE(grammar.ok()) << grammar.error().message;
  EXPECT_FALSE((*grammar)->dump().empty());
}

TEST(CompileJsonSchema, FalseSchemaAndNonObjectsAreErrors) {
  EXPECT_FALSE(compile_json_schema(Json::parse("false")).ok());
  EXPECT_FALSE(compile_json_schema(Json::parse("3")).ok());
  EXPECT_TRUE(compile_json_schema(Json::parse("true")).ok());
}

}  // namespace
}  // namespace qinfer::constrain
