#include "server/listen_address.h"

#include <gtest/gtest.h>

namespace qinfer::server {
namespace {

TEST(ListenAddress, LoopbackOnlyForThisMachine) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]",
                           "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "192.0.2.1", "::ffff:10.0.0.1",
                           "example.com", "localhost.example.com", "", "127.0.0.1.nip.io"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

}  // namespace
}  // namespace qinfer::server
