// ClientConnection finds a request's accepted socket by its address pair and sees the client
// close it; a connection it cannot find (or one without a TCP peer) never reads as closed.
#include "server/client_connection.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace qinfer::server {
namespace {

int port_of(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

TEST(ClientConnection, FindsTheAcceptedSocketAndSeesTheClientClose) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  const int server_port = port_of(listener);
  address.sin_port = htons(static_cast<uint16_t>(server_port));

  const int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const int accepted = accept(listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  const int client_port = port_of(client);

  EXPECT_EQ(find_tcp_socket("127.0.0.1", client_port, server_port), accepted);
  EXPECT_EQ(find_tcp_socket("127.0.0.1", client_port + 1, server_port), -1);
  EXPECT_EQ(find_tcp_socket("127.0.0.2", client_port, server_port), -1);

  ClientConnection connection("127.0.0.1", client_port, server_port);
  EXPECT_FALSE(connection.closed());
  // Bytes from the client (a pipelined request) are not a close.
  ASSERT_EQ(write(client, "GET", 3), 3);
  EXPECT_FALSE(connection.closed());
  close(client);
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    closed = connection.closed();
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(closed);

  EXPECT_FALSE(ClientConnection("", -1, server_port).closed());
  EXPECT_FALSE(ClientConnection("127.0.0.1", client_port, server_port + 1).closed());
  close(accepted);
  close(listener);
}

}  // namespace
}  // namespace qinfer::server
