#include "server/api_key_auth.h"

#include <gtest/gtest.h>

namespace qinfer::server {
namespace {

TEST(ApiKeyAuth, NoKeysAllowsEverything) {
  ApiKeyAuth auth({});
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.allows(std::nullopt));
  EXPECT_TRUE(auth.allows("Bearer anything"));
}

TEST(ApiKeyAuth, AcceptsOnlyAConfiguredBearerKey) {
  ApiKeyAuth auth({"sk-first", "sk-second"});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.allows("Bearer sk-first"));
  EXPECT_TRUE(auth.allows("Bearer sk-second"));
  EXPECT_TRUE(auth.allows("bearer sk-first"));     // the scheme is case-insensitive
  EXPECT_TRUE(auth.allows("BEARER  sk-first "));   // surrounding spaces are not part of the key

  EXPECT_FALSE(auth.allows(std::nullopt));
  EXPECT_FALSE(auth.allows(""));
  EXPECT_FALSE(auth.allows("Bearer"));
  EXPECT_FALSE(auth.allows("Bearer "));
  EXPECT_FALSE(auth.allows("sk-first"));           // no scheme
  EXPECT_FALSE(auth.allows("Basic sk-first"));
  EXPECT_FALSE(auth.allows("Bearer sk-firs"));     // a prefix of a key
  EXPECT_FALSE(auth.allows("Bearer sk-first2"));   // a key plus more
  EXPECT_FALSE(auth.allows("Bearer SK-FIRST"));    // the key itself is case-sensitive
}

}  // namespace
}  // namespace qinfer::server
