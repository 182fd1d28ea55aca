// Lexer, parser and interpreter behaviour that the parity table does not cover: positions,
// error messages, limits against hostile templates, and the Python-compatible value helpers.
#include <gtest/gtest.h>

#include <string>

#include "chat/jinja/json.h"
#include "chat/jinja/lexer.h"
#include "chat/jinja/py_string.h"
#include "chat/jinja/template.h"

namespace qinfer::jinja {
namespace {

Expected<std::string> render(const std::string& source, const Dict& variables = {}, const RenderLimits& limits = {}) {
  auto tmpl = Template::parse(source);
  if (!tmpl) return tmpl.error();
  return tmpl->render(variables, limits);
}

std::string error_of(const Expected<std::string>& result) {
  EXPECT_FALSE(result.ok()) << "rendered: " << (result.ok() ? *result : "");
  return result.ok() ? "" : result.error().message;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Lexer, TracksLineAndColumnOfTokens) {
  const auto tokens = tokenize("ab\n  {{ x }}");
  ASSERT_GE(tokens.size(), 4u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kText);
  EXPECT_EQ(tokens[1].kind, TokenKind::kPrintBegin);
  EXPECT_EQ(tokens[1].pos.line, 2);
  EXPECT_EQ(tokens[1].pos.column, 3);
  EXPECT_EQ(tokens[2].text, "x");
  EXPECT_EQ(tokens[2].pos.column, 6);
}

TEST(Lexer, AppliesTrimAndLstripBlocksButNotToPrintTags) {
  EXPECT_EQ(*render("  {% if true %}\nA\n  {{ 'B' }}\n  {% endif %}\nC"), "A\n  B\nC");
}

TEST(Lexer, WithoutTheSettingsKeepsWhitespace) {
  const auto tokens = tokenize("  {% if x %}\nA", LexerOptions{false, false});
  EXPECT_EQ(tokens[0].text, "  ");
  EXPECT_EQ(tokens.back().kind, TokenKind::kEnd);
  EXPECT_EQ(tokens[tokens.size() - 2].text, "\nA");
}

TEST(Lexer, NormalisesNewlinesAndDropsOneTrailingNewline) {
  EXPECT_EQ(*render("a\r\nb\rc\n\n"), "a\nb\nc\n");
}

TEST(LexerErrors, UnterminatedTagsCommentsAndStrings) {
  EXPECT_TRUE(contains(error_of(render("x\n{{ name")), "template line 2, column 1: unterminated '{{'"));
  EXPECT_TRUE(contains(error_of(render("{% if x")), "unterminated '{%'"));
  EXPECT_TRUE(contains(error_of(render("{# never closed")), "unterminated comment"));
  EXPECT_TRUE(contains(error_of(render("{{ 'abc }}")), "unterminated string literal"));
  EXPECT_TRUE(contains(error_of(render("{{ a $ b }}")), "unexpected character '$'"));
  EXPECT_TRUE(contains(error_of(render("{% raw %}abc")), "endraw"));
}

TEST(ParserErrors, NameTheMissingEndTagAndTheOpeningLine) {
  const std::string message = error_of(render("line\n{% for x in y %}\n{{ x }}"));
  EXPECT_TRUE(contains(message, "'endfor'")) << message;
  EXPECT_TRUE(contains(message, "opened at line 2")) << message;
  EXPECT_TRUE(contains(error_of(render("{% endif %}")), "tag 'endif'"));
  EXPECT_TRUE(contains(error_of(render("{% include 'x' %}")), "unsupported tag 'include'"));
  EXPECT_TRUE(contains(error_of(render("{{ 1 + }}")), "unexpected"));
  EXPECT_TRUE(contains(error_of(render("{% break %}")), "outside of a for loop"));
  EXPECT_TRUE(contains(error_of(render("{{ f(a=1, 2) }}")), "positional argument follows keyword"));
}

TEST(ParserLimits, DeepNestingIsAnErrorNotACrash) {
  const std::string parens = std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_TRUE(contains(error_of(render("{{ " + parens + " }}")), "deeper than"));
  std::string chain = "{{ 1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  EXPECT_TRUE(contains(error_of(render(chain + " }}")), "deeper than"));
  std::string blocks;
  for (int i = 0; i < 2000; ++i) blocks += "{% if true %}";
  EXPECT_TRUE(contains(error_of(render(blocks)), "deeper than"));
  std::string attributes = "{{ x";
  for (int i = 0; i < 5000; ++i) attributes += ".a";
  EXPECT_TRUE(contains(error_of(render(attributes + " }}")), "deeper than"));
}

TEST(RenderErrors, UndefinedMisuseCarriesTheTemplateLine) {
  const std::string message = error_of(render("ok\n{{ missing.attr }}"));
  EXPECT_TRUE(contains(message, "template line 2")) << message;
  EXPECT_TRUE(contains(message, "'missing' is undefined")) << message;
  Dict vars;
  vars.set(Value("d"), Value::dict());
  EXPECT_TRUE(contains(error_of(render("{{ d.a.b }}", vars)), "'dict object' has no attribute 'a'"));
  EXPECT_TRUE(contains(error_of(render("{{ d.a + 1 }}", vars)), "has no attribute 'a'"));
  EXPECT_TRUE(contains(error_of(render("{{ nothing() }}")), "'nothing' is undefined"));
  EXPECT_TRUE(contains(error_of(render("{{ nothing | tojson }}")), "not JSON serializable"));
}

TEST(RenderErrors, RaiseExceptionReportsTheMessageAndLine) {
  const std::string message = error_of(render("a\n\n{{ raise_exception('Only user and assistant roles!') }}"));
  EXPECT_EQ(message, "raise_exception: Only user and assistant roles! (template line 3, column 4)");
}

TEST(RenderErrors, PythonTypeErrors) {
  EXPECT_TRUE(contains(error_of(render("{{ 'a' + 1 }}")), "can only concatenate str (not \"int\") to str"));
  EXPECT_TRUE(contains(error_of(render("{{ 1 / 0 }}")), "division by zero"));
  EXPECT_TRUE(contains(error_of(render("{{ 1 < 'a' }}")), "not supported between"));
  EXPECT_TRUE(contains(error_of(render("{% for a, b in [1] %}{% endfor %}")), "not iterable"));
  EXPECT_TRUE(contains(error_of(render("{% for a, b in [[1, 2, 3]] %}{% endfor %}")), "too many values to unpack"));
  EXPECT_TRUE(contains(error_of(render("{{ 'abc'[::0] }}")), "slice step cannot be zero"));
  EXPECT_TRUE(contains(error_of(render("{{ x | nosuchfilter }}")), "no filter named 'nosuchfilter'"));
  EXPECT_TRUE(contains(error_of(render("{{ x is nosuchtest }}")), "no test named 'nosuchtest'"));
  EXPECT_TRUE(contains(error_of(render("{{ 9223372036854775807 + 1 }}")), "64 bits"));
}

TEST(RenderErrors, SandboxRefusesMutationAndPrivateNamespaceAttributes) {
  EXPECT_TRUE(contains(error_of(render("{% set l = [] %}{{ l.append(1) }}")), "unsafe"));
  EXPECT_TRUE(contains(error_of(render("{% set ns = namespace(_x=1) %}")), "underscore"));
  EXPECT_TRUE(contains(error_of(render("{% set ns = namespace() %}{% set ns._y = 1 %}")), "underscore"));
  EXPECT_TRUE(contains(error_of(render("{% set x = 1 %}{% set x.y = 2 %}")), "non-namespace"));
}

TEST(RenderLimits, RunawayLoopsRecursionAndOutputStopWithAnError) {
  RenderLimits limits;
  limits.max_steps = 200000;
  EXPECT_TRUE(contains(error_of(render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", {}, limits)),
                       "evaluation steps"));
  EXPECT_TRUE(contains(error_of(render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")), "nested deeper"));
  limits = RenderLimits{};
  limits.max_output_bytes = 1 << 20;
  EXPECT_TRUE(contains(error_of(render("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", {}, limits)), "limit"));
  EXPECT_TRUE(contains(error_of(render("{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", {}, limits)),
                       "limit"));
  EXPECT_TRUE(contains(error_of(render("{{ 'x' * 100000000000 }}", {}, limits)), "limit"));
  EXPECT_TRUE(contains(error_of(render("{{ range(1000000) | length }}")), "Range too big"));
}

TEST(Render, MacroRecursionWithinTheLimitWorks) {
  EXPECT_EQ(*render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"), "54321");
}

TEST(Render, ParsedTemplateRendersManyTimesWithFreshState) {
  auto tmpl = Template::parse("{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(tmpl.ok());
  Dict a;
  a.set(Value("xs"), Value::list({Value(1), Value(2)}));
  EXPECT_EQ(*tmpl->render(a), "3");
  EXPECT_EQ(*tmpl->render(a), "3");
}

TEST(Render, StrftimeNowFormatsTheCurrentDate) {
  const auto out = render("{{ strftime_now('%Y') }}");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), 4u);
  EXPECT_GE(std::stoi(*out), 2024);
}

TEST(PythonValues, FloatReprMatchesCPython) {
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e-5), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(-2.5e-300), "-2.5e-300");
  EXPECT_EQ(python_float_repr(123456789.125), "123456789.125");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
}

TEST(PythonValues, StringHelpersCountCodePoints) {
  EXPECT_EQ(py::length("héllo😀"), 6);
  EXPECT_EQ(py::find("日本語テキスト", "テ"), 3);
  EXPECT_EQ(py::strip("\u3000 x \u00a0", std::nullopt, true, true), "x");
  EXPECT_EQ(py::split("  a  b ", std::nullopt, 1), (std::vector<std::string>{"a", "b "}));
  EXPECT_EQ(py::rsplit("  a b  c ", std::nullopt, 1), (std::vector<std::string>{"  a b", "c"}));
  EXPECT_EQ(py::replace("abc", "", "-", -1), "-a-b-c-");
  EXPECT_EQ(py::decode_utf8("\xff" "a"), std::u32string(U"\uFFFDa"));
}

TEST(JsonDump, MatchesPythonJsonDumps) {
  const Value v = value_from_json(nlohmann::ordered_json::parse(R"({"b": [1, 2.5, "é\u0001😀"], "a": {}})"));
  JsonDumpOptions compact;
  EXPECT_EQ(dump_json(v, compact), "{\"b\": [1, 2.5, \"é\\u0001😀\"], \"a\": {}}");
  JsonDumpOptions ascii;
  ascii.ensure_ascii = true;
  ascii.sort_keys = true;
  EXPECT_EQ(dump_json(v, ascii), "{\"a\": {}, \"b\": [1, 2.5, \"\\u00e9\\u0001\\ud83d\\ude00\"]}");
  JsonDumpOptions tabbed;
  tabbed.indent = "\t";
  tabbed.item_separator = ",";
  EXPECT_EQ(dump_json(value_from_json(nlohmann::ordered_json::parse("[1,[2]]")), tabbed), "[\n\t1,\n\t[\n\t\t2\n\t]\n]");
}

TEST(JsonInput, RejectsNestingBeyondTheLimit) {
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_THROW(value_from_json(nlohmann::ordered_json::parse(deep)), TemplateError);
}

}  // namespace
}  // namespace qinfer::jinja
