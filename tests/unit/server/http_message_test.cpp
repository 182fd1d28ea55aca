#include "server/http_message.h"

#include <gtest/gtest.h>

#include <string>

namespace qinfer::server {
namespace {

Request with_body(std::string body) {
  Request request;
  request.body = std::move(body);
  return request;
}

const api::ApiError* error_of(const std::variant<api::Json, api::ApiError>& parsed) {
  return std::get_if<api::ApiError>(&parsed);
}

TEST(HttpMessage, HeaderLookupIgnoresCase) {
  Request request;
  request.headers.emplace("Content-Type", "application/json");
  request.headers.emplace("x-request-id", "abc");
  EXPECT_EQ(request.header("content-type").value_or(""), "application/json");
  EXPECT_EQ(request.header("CONTENT-TYPE").value_or(""), "application/json");
  EXPECT_EQ(request.header("X-Request-Id").value_or(""), "abc");
  EXPECT_FALSE(request.header("Authorization").has_value());
}

TEST(HttpMessage, PathParamLookup) {
  Request request;
  request.path_params.emplace("id", "Qwen/Qwen3-0.6B");
  EXPECT_EQ(request.path_param("id"), "Qwen/Qwen3-0.6B");
  EXPECT_EQ(request.path_param("other"), "");
}

TEST(HttpMessage, ParsesAJsonBody) {
  auto parsed = parse_json_body(with_body(R"({"model":"m","messages":[{"role":"user","content":"héllo 你好 😀"}]})"));
  ASSERT_TRUE(std::holds_alternative<api::Json>(parsed));
  EXPECT_EQ(std::get<api::Json>(parsed)["messages"][0]["content"], "héllo 你好 😀");
}

TEST(HttpMessage, MalformedJsonIsA400SayingWhere) {
  for (const char* body : {"{", "{\"a\":}", "[1,2", "nul", "{\"a\":1} trailing", "\"unterminated"}) {
    auto parsed = parse_json_body(with_body(body));
    const api::ApiError* error = error_of(parsed);
    ASSERT_NE(error, nullptr) << body;
    EXPECT_EQ(error->status, 400);
    EXPECT_EQ(error->type, "invalid_request_error");
    EXPECT_NE(error->message.find("not valid JSON"), std::string::npos) << error->message;
    EXPECT_NE(error->message.find("line 1, column"), std::string::npos) << error->message;
    EXPECT_EQ(error->message.find("json.exception"), std::string::npos) << error->message;
  }
  auto parsed_empty = parse_json_body(with_body(""));
  const api::ApiError* empty = error_of(parsed_empty);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->status, 400);
}

TEST(HttpMessage, InvalidUtf8IsA400) {
  const std::string cases[] = {
      "{\"content\":\"\xff\"}",              // a byte that never occurs in UTF-8
      "{\"content\":\"\xc3\"}",              // a truncated two-byte sequence
      "{\"content\":\"\xc0\xaf\"}",          // an overlong encoding of '/'
      "{\"content\":\"\xed\xa0\x80\"}",      // an encoded surrogate (U+D800)
      "{\"content\":\"\xf4\x90\x80\x80\"}",  // beyond U+10FFFF
      "{\"content\":\"\\ud800\"}",           // an unpaired surrogate escape
      "{\"content\":\"\\udc00\\ud800\"}",    // surrogates in the wrong order
  };
  for (const std::string& body : cases) {
    auto parsed = parse_json_body(with_body(body));
    const api::ApiError* error = error_of(parsed);
    ASSERT_NE(error, nullptr) << body;
    EXPECT_EQ(error->status, 400) << body;
    // The message quotes the offending bytes; serializing it must not throw.
    EXPECT_FALSE(dump_json(api::to_json(*error)).empty());
  }
  // A correctly paired surrogate escape is fine.
  auto paired = parse_json_body(with_body("{\"content\":\"\\ud83d\\ude00\"}"));
  ASSERT_TRUE(std::holds_alternative<api::Json>(paired));
  EXPECT_EQ(std::get<api::Json>(paired)["content"], "😀");
}

TEST(HttpMessage, DumpReplacesInvalidUtf8InsteadOfThrowing) {
  nlohmann::json value = {{"text", std::string("ok \xe4\xbd")}};  // a cut-off CJK character
  std::string dumped;
  ASSERT_NO_THROW(dumped = dump_json(value));
  EXPECT_EQ(dumped, "{\"text\":\"ok \xef\xbf\xbd\"}");
}

TEST(HttpMessage, ErrorResponseCarriesStatusBodyAndHeaders) {
  JsonResponse response = error_response(api::unavailable("loading"), {{"Retry-After", "5"}});
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body["error"]["message"], "loading");
  EXPECT_EQ(response.body["error"]["type"], "server_error");
  EXPECT_TRUE(response.body["error"]["param"].is_null());
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Retry-After");
}

}  // namespace
}  // namespace qinfer::server
