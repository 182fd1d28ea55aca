#include "server/router.h"

#include <gtest/gtest.h>

namespace qinfer::server {
namespace {

Handler returns_status(int status) {
  return [status](const Request&) -> HandlerResult { return JsonResponse{status, {}, {}}; };
}

int status_of(const Router::Match& match) {
  Request request;
  auto result = match.route->handler(request);
  return std::get<JsonResponse>(result).status;
}

TEST(Router, LiteralAndParameterRoutes) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/v1/models", returns_status(201), RouteClass::work).ok());
  ASSERT_TRUE(router.add("GET", "/v1/models/{id}", returns_status(202), RouteClass::work).ok());

  Router::Match list = router.match("GET", "/v1/models");
  ASSERT_NE(list.route, nullptr);
  EXPECT_EQ(status_of(list), 201);
  EXPECT_TRUE(list.path_params.empty());

  Router::Match one = router.match("GET", "/v1/models/qwen3-0.6b");
  ASSERT_NE(one.route, nullptr);
  EXPECT_EQ(status_of(one), 202);
  EXPECT_EQ(one.path_params.at("id"), "qwen3-0.6b");

  // A trailing parameter takes the rest of the path: Hugging Face model names have a slash.
  Router::Match hf = router.match("GET", "/v1/models/Qwen/Qwen3-0.6B");
  ASSERT_NE(hf.route, nullptr);
  EXPECT_EQ(hf.path_params.at("id"), "Qwen/Qwen3-0.6B");

  // The parameter must not be empty; paths are matched exactly (no trailing-slash folding).
  EXPECT_FALSE(router.match("GET", "/v1/models/").path_known);
  EXPECT_FALSE(router.match("GET", "/v1/model").path_known);
}

TEST(Router, MiddleParameterMatchesOneSegment) {
  Router router;
  ASSERT_TRUE(router.add("POST", "/v1/responses/{id}/cancel", returns_status(200),
                         RouteClass::work).ok());
  Router::Match match = router.match("POST", "/v1/responses/resp_1/cancel");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.path_params.at("id"), "resp_1");
  EXPECT_FALSE(router.match("POST", "/v1/responses/a/b/cancel").path_known);
  EXPECT_FALSE(router.match("POST", "/v1/responses//cancel").path_known);
}

TEST(Router, LiteralRouteWinsOverParameterRoute) {
  Router router;
  ASSERT_TRUE(router.add("GET", "/v1/models/{id}", returns_status(202), RouteClass::work).ok());
  ASSERT_TRUE(router.add("GET", "/v1/models/default", returns_status(203), RouteClass::work).ok());
  EXPECT_EQ(status_of(router.match("GET", "/v1/models/default")), 203);
  EXPECT_EQ(status_of(router.match("GET", "/v1/models/other")), 202);
}

TEST(Router, WrongMethodIsKnownPathWithoutRoute) {
  Router router;
  ASSERT_TRUE(router.add("POST", "/v1/chat/completions", returns_status(200), RouteClass::work).ok());
  Router::Match get = router.match("GET", "/v1/chat/completions");
  EXPECT_TRUE(get.path_known);
  EXPECT_EQ(get.route, nullptr);
  EXPECT_EQ(router.allowed_methods("/v1/chat/completions"), "POST, OPTIONS");

  Router::Match unknown = router.match("GET", "/v1/nothing");
  EXPECT_FALSE(unknown.path_known);
  EXPECT_EQ(router.allowed_methods("/v1/nothing"), "");
}

TEST(Router, HeadIsServedByGetAndListed) {
  Router router;
  ASSERT_TRUE(router.add("DELETE", "/v1/files/{id}", returns_status(204), RouteClass::work).ok());
  ASSERT_TRUE(router.add("GET", "/v1/files/{id}", returns_status(200), RouteClass::work).ok());
  Router::Match head = router.match("HEAD", "/v1/files/f1");
  ASSERT_NE(head.route, nullptr);
  EXPECT_EQ(head.route->method, "GET");
  EXPECT_EQ(router.allowed_methods("/v1/files/f1"), "GET, HEAD, DELETE, OPTIONS");
  EXPECT_EQ(router.match("POST", "/v1/files/f1").route, nullptr);
}

TEST(Router, RejectsMalformedPatternsAndDuplicates) {
  Router router;
  EXPECT_FALSE(router.add("TRACE", "/x", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "x", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "/a/{id", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "/a/{}", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "/a/{a-b}", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "/a/x{id}", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "/a/{id}x", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "/a/{id}/{other}", returns_status(200), RouteClass::work).ok());
  EXPECT_FALSE(router.add("GET", "/a", Handler(), RouteClass::work).ok());

  ASSERT_TRUE(router.add("GET", "/a/{id}", returns_status(200), RouteClass::work).ok());
  Status duplicate = router.add("GET", "/a/{name}", returns_status(200), RouteClass::work);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("already registered"), std::string::npos);
  EXPECT_TRUE(router.add("POST", "/a/{id}", returns_status(200), RouteClass::work).ok());
}

}  // namespace
}  // namespace qinfer::server
