// Grammar matching byte by byte: for each supported keyword, documents the schema accepts are
// matched completely and documents it rejects die or stay incomplete.
#include "constrain/matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "constrain/json_rules.h"
#include "constrain/json_schema.h"
#include "constrain/string_lexeme.h"

namespace qinfer::constrain {
namespace {

using Json = nlohmann::ordered_json;

// Whether `text` is a complete document of `grammar`.
bool matches(const std::shared_ptr<const Grammar>& grammar, const std::string& text) {
  Matcher matcher(grammar);
  return matcher.accept(text) && matcher.is_complete();
}

std::shared_ptr<const Grammar> compile(const std::string& schema) {
  auto grammar = compile_json_schema(Json::parse(schema));
  EXPECT_TRUE(grammar.ok()) << schema << ": " << grammar.error().message;
  return grammar.ok() ? *grammar : nullptr;
}

struct Case {
  const char* schema;
  std::vector<const char*> valid;
  std::vector<const char*> invalid;
};

TEST(Matcher, AcceptsExactlyTheSchemasDocuments) {
  const std::vector<Case> cases = {
      {R"({"type": "string"})",
       {R"("")", R"("abc")", R"("a\"b\\c\/\n\u00e9")", "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\""},
       {R"(abc)", R"("abc)", "\"a\nb\"", R"("\x")", R"("\ud800")", "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe4\xb8\"", R"("a" )"}},
      {R"({"type": "string", "minLength": 2, "maxLength": 3})",
       {R"("ab")", R"("abc")", "\"\xc3\xa9\xc3\xa9\"", R"("\n\t")"},
       {R"("a")", R"("abcd")", R"("")", "\"\xc3\xa9\""}},
      {R"({"type": "integer"})",
       {"0", "-0", "7", "-123", "1234567890123456"},
       {"01", "1.5", "-", "+1", "1e5", "12345678901234567"}},
      {R"({"type": "number"})",
       {"0", "-1.25", "3e10", "2.5E-7", "1e+99", "0.0"},
       {".5", "1.", "1e", "1e100", "--1", "0x10"}},
      {R"({"type": "boolean"})", {"true", "false"}, {"True", "1", "nul"}},
      {R"({"type": "null"})", {"null"}, {"none", ""}},
      {R"({"type": ["integer", "null"]})", {"3", "null"}, {"\"3\"", "true"}},
      {R"({"enum": ["a", 1, null, {"k": [true]}]})",
       {R"("a")", "1", "null", R"({"k":[true]})"},
       {R"("b")", "2", R"({"k": [true]})"}},
      {R"({"const": "fixed"})", {R"("fixed")"}, {R"("fixe")", R"("fixedd")"}},
      {R"({"type": "string", "enum": ["x", 2]})", {R"("x")"}, {"2"}},
      {R"({"type": "array", "items": {"type": "integer"}})",
       {"[]", "[1]", "[1,2]", "[1, 2, 3]"},
       {"[", "[1,]", "[,1]", "[1 ,2]", R"(["a"])", "[1,  2]"}},
      {R"({"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 2})",
       {"[true]", "[true, false]"},
       {"[]", "[true,true,true]"}},
      {R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
           "required": ["a"], "additionalProperties": false})",
       {R"({"a":1})", R"({"a": 1, "b": "x"})", R"({"a":1,"b":"x"})"},
       {R"({})", R"({"b":"x"})", R"({"b":"x","a":1})", R"({"a":1,"c":2})", R"({"a":"1"})",
        R"({ "a":1})"}},
      {R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
           "additionalProperties": false})",
       {"{}", R"({"a":1})", R"({"b":"x"})", R"({"a":1, "b":"x"})"},
       {R"({"a":1,})", R"({,"b":"x"})"}},
      {R"({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})",
       {R"({"name":"x"})", R"({"name":"x","nam":1})", R"({"name":"x", "names":[1,{"q":null}]})",
        R"({"name":"x","other":{"deep":[1,2]}})"},
       {R"({"name":"x","name":1})", R"({"name":"x","\u0041":1})"}},
      {R"({"type": "object", "additionalProperties": {"type": "integer"}})",
       {"{}", R"({"x":1,"y":2})"},
       {R"({"x":"1"})"}},
      {R"({"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"k": {"const": 1}},
           "required": ["k"], "additionalProperties": false}]})",
       {"5", R"({"k":1})"},
       {R"({"k":2})", R"("5")"}},
      {R"({"oneOf": [{"type": "string", "maxLength": 1}, {"type": "boolean"}]})",
       {R"("a")", "false"},
       {R"("ab")"}},
      {R"({"allOf": [{"type": "null"}], "title": "t", "description": "d"})", {"null"}, {"1"}},
      {R"({"$defs": {"node": {"type": "object", "properties": {"next": {"anyOf": [
           {"$ref": "#/$defs/node"}, {"type": "null"}]}}, "required": ["next"],
           "additionalProperties": false}}, "$ref": "#/$defs/node"})",
       {R"({"next":null})", R"({"next":{"next":{"next":null}}})"},
       {R"({"next":{}})"}},
      {R"({"definitions": {"id": {"type": "integer"}}, "type": "array",
           "items": {"$ref": "#/definitions/id"}})",
       {"[1, 2]"},
       {R"(["1"])"}},
      {R"({})", {"1", R"("s")", R"({"a":[1,{"b":null}]})", "[]"}, {"", "{"}},
      {R"({"type": "object", "properties": {"t": {"type": "array", "items": {"type": "object",
           "properties": {"v": {"type": "number"}}, "required": ["v"],
           "additionalProperties": false}}}, "required": ["t"], "additionalProperties": false})",
       {R"({"t":[]})", R"({"t": [{"v": 1.5}, {"v": -2}]})"},
       {R"({"t":[{}]})", R"({"t":[{"v":1},]})"}},
  };
  for (const Case& c : cases) {
    const auto grammar = compile(c.schema);
    ASSERT_NE(grammar, nullptr);
    for (const char* text : c.valid) {
      EXPECT_TRUE(matches(grammar, text)) << c.schema << " should accept " << text;
    }
    for (const char* text : c.invalid) {
      EXPECT_FALSE(matches(grammar, text)) << c.schema << " should reject " << text;
    }
  }
}

TEST(Matcher, RejectedBytesLeaveTheStateUnchanged) {
  Matcher matcher(compile(R"({"type": "array", "items": {"type": "integer"}})"));
  ASSERT_TRUE(matcher.accept("[1"));
  EXPECT_FALSE(matcher.accept(",]"));  // the comma alone was fine, the bracket is not
  EXPECT_TRUE(matcher.accept(", 2]"));
  EXPECT_TRUE(matcher.is_complete());
  EXPECT_FALSE(matcher.can_accept_more());
}

TEST(Matcher, TopLevelNumberIsCompleteButExtensible) {
  Matcher matcher(compile(R"({"type": "integer"})"));
  ASSERT_TRUE(matcher.accept("12"));
  EXPECT_TRUE(matcher.is_complete());
  EXPECT_TRUE(matcher.can_accept_more());
}

TEST(Matcher, WhitespaceIsBounded) {
  const auto grammar = any_json_object();
  EXPECT_TRUE(matches(grammar, R"({"a": 1, "b": [1, 2]})"));
  EXPECT_FALSE(matches(grammar, R"({"a":  1})"));
  EXPECT_FALSE(matches(grammar, R"({"a":1}  )"));
  EXPECT_FALSE(matches(grammar, "{\"a\":\n1}"));
  EXPECT_FALSE(matches(grammar, "[1]"));  // json_object: an object at the top
}

TEST(Matcher, AnyValueNestingIsBounded) {
  const auto grammar = any_json_object();
  std::string deep = R"({"a":)";
  for (int i = 0; i < kAnyValueDepth; ++i) deep += "[";
  Matcher matcher(grammar);
  EXPECT_FALSE(matcher.accept(deep));
}

TEST(Matcher, ToolCallText) {
  const Json tools = Json::parse(R"([
    {"type": "function", "function": {"name": "get_order", "parameters": {"type": "object",
      "properties": {"order_id": {"type": "string"}}, "required": ["order_id"],
      "additionalProperties": false}}},
    {"type": "function", "function": {"name": "ping"}}])");
  auto any = tool_call_grammar(tools, std::nullopt);
  ASSERT_TRUE(any.ok()) << any.error().message;
  EXPECT_TRUE(matches(*any, "<tool_call>\n{\"name\": \"get_order\", \"arguments\": "
                            "{\"order_id\": \"A1\"}}\n</tool_call>"));
  EXPECT_TRUE(matches(*any, "<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>"));
  EXPECT_FALSE(matches(*any, "<tool_call>\n{\"name\": \"get_order\", \"arguments\": {}}\n"
                             "</tool_call>"));
  auto forced = tool_call_grammar(tools, std::string("ping"));
  ASSERT_TRUE(forced.ok());
  EXPECT_FALSE(matches(*forced, "<tool_call>\n{\"name\": \"get_order\", \"arguments\": "
                                "{\"order_id\": \"A1\"}}\n</tool_call>"));
  // One call unless more are allowed; then up to that many, newline-separated, as the chat
  // template joins the calls of one turn.
  const std::string ping = "<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>";
  EXPECT_FALSE(matches(*any, ping + "\n" + ping));
  auto up_to_two = tool_call_grammar(tools, std::nullopt, 2);
  ASSERT_TRUE(up_to_two.ok()) << up_to_two.error().message;
  EXPECT_TRUE(matches(*up_to_two, ping));
  EXPECT_TRUE(matches(*up_to_two, ping + "\n" + ping));
  EXPECT_FALSE(matches(*up_to_two, ping + "\n" + ping + "\n" + ping));
  EXPECT_FALSE(matches(*up_to_two, ping + ping));
  EXPECT_FALSE(tool_call_grammar(tools, std::nullopt, 0).ok());
  auto unknown = tool_call_grammar(tools, std::string("nope"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("nope"), std::string::npos);
}

TEST(StringLexeme, CountsCharactersWhenTheyStart) {
  const StringSpec spec{0, 1, StringFlavor::kJson};
  StringStep s = string_step(spec, 0, 0xC3);  // starts é: the one allowed character
  ASSERT_EQ(s.kind, StringStep::kContinue);
  EXPECT_EQ(string_count(s.sub), 1u);
  s = string_step(spec, s.sub, 0xA9);
  ASSERT_EQ(s.kind, StringStep::kContinue);
  EXPECT_EQ(string_step(spec, s.sub, 'a').kind, StringStep::kReject);
  EXPECT_EQ(string_step(spec, s.sub, '"').kind, StringStep::kClose);
}

}  // namespace
}  // namespace qinfer::constrain
