// Whether the client of a request is still connected, for handlers that work long before they
// write anything (a non-streaming completion): a client that gave up must free its slot within
// a step, as a streaming one does. httplib 0.11 hands a handler no socket, so the connection's
// socket is found among this process's descriptors by its address pair. The handler's thread
// owns that connection until the handler returns, so the descriptor cannot close or be reused
// meanwhile.
#pragma once

#include <chrono>
#include <string>

namespace qinfer::server {

// How often a request in progress looks at its client: the bound on noticing one that left
// (the SSE writer between frames, a non-streaming handler while its choices run) and freeing its
// slots. Ten cheap checks a second per request.
inline constexpr std::chrono::milliseconds kClientCheckInterval{100};

class ClientConnection {
 public:
  // The request's peer address and port (as httplib reports them: numeric host) and the local
  // port it arrived on. A port < 0 (no TCP peer) makes closed() always false.
  ClientConnection(std::string remote_addr, int remote_port, int local_port);

  // True once the client closed its end of the connection (FIN or reset). The socket is looked
  // up on the first call; false when it cannot be found.
  bool closed();

 private:
  std::string remote_addr_;
  int remote_port_;
  int local_port_;
  int fd_ = -2;  // -2: not looked up yet; -1: not found
};

// The connected TCP socket among this process's descriptors whose local port is `local_port`
// and whose peer is remote_addr:remote_port, or -1.
int find_tcp_socket(const std::string& remote_addr, int remote_port, int local_port);

// poll() with no wait: the peer shut its side down (POLLRDHUP), or the socket hung up or failed.
bool peer_closed(int fd);

}  // namespace qinfer::server
