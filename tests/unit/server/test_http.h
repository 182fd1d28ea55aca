// Helpers for the server tests: a server on a free port, an httplib client for it, and a raw
// socket for the requests a well-behaved client never sends.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "server/http_server.h"

namespace qinfer::server::testing {

// Generous: the tests also run under ASan and qemu on a shared machine. No test asserts speed.
constexpr auto kPatience = std::chrono::seconds(30);

inline HttpServerOptions test_options() {
  HttpServerOptions options;
  options.port = 0;
  options.http_threads = 16;
  options.read_timeout_ms = 20000;
  options.write_timeout_ms = 20000;
  return options;
}

// A started server; `register_routes` runs before start(). Ready unless told otherwise.
inline std::unique_ptr<HttpServer> start_server(
    HttpServerOptions options, const std::function<void(HttpServer&)>& register_routes = {},
    bool ready = true) {
  auto server = std::make_unique<HttpServer>(std::move(options));
  if (register_routes) register_routes(*server);
  Status started = server->start();
  EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
  if (ready) server->set_ready();
  return server;
}

inline std::unique_ptr<httplib::Client> client_for(const HttpServer& server) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
  client->set_connection_timeout(kPatience);
  client->set_read_timeout(kPatience);
  client->set_write_timeout(kPatience);
  return client;
}

inline nlohmann::json body_json(const httplib::Result& result) {
  return nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
}

// Polls `condition` until it holds or kPatience passed.
inline bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// A plain TCP connection to the server, for half requests, garbage and lies.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{static_cast<time_t>(kPatience.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Everything the server sends until it closes the connection (or kPatience passes).
  std::string read_until_closed() {
    std::string received;
    char buffer[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        closed_by_peer_ = n == 0 || errno == ECONNRESET;
        return received;
      }
      received.append(buffer, static_cast<size_t>(n));
    }
  }

  // One response: the head, then Content-Length bytes of body.
  std::string read_response() {
    std::string received;
    char byte;
    while (received.find("\r\n\r\n") == std::string::npos) {
      if (::recv(fd_, &byte, 1, 0) != 1) return received;
      received.push_back(byte);
    }
    const size_t length = content_length(received);
    std::string body(length, '\0');
    size_t got = 0;
    while (got < length) {
      ssize_t n = ::recv(fd_, body.data() + got, length - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    return received + body.substr(0, got);
  }

  bool closed_by_peer() const { return closed_by_peer_; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  static int status_of(const std::string& response) {
    // "HTTP/1.1 413 Payload Too Large"
    if (response.size() < 12) return -1;
    return std::atoi(response.c_str() + 9);
  }
  static std::string body_of(const std::string& response) {
    size_t end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
  }

 private:
  static size_t content_length(const std::string& head) {
    std::string lower;
    for (char c : head) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    size_t at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    return static_cast<size_t>(std::strtoull(head.c_str() + at + 17, nullptr, 10));
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_by_peer_ = false;
};

}  // namespace qinfer::server::testing
