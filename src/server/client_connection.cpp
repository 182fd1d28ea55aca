#include "server/client_connection.h"

#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <utility>

namespace qinfer::server {
namespace {

// The port and numeric host of a socket address (getnameinfo, as httplib formats remote_addr).
bool host_and_port(const sockaddr_storage& address, socklen_t length, std::string* host,
                   int* port) {
  char host_buffer[NI_MAXHOST], port_buffer[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host_buffer,
                  sizeof(host_buffer), port_buffer, sizeof(port_buffer),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  *host = host_buffer;
  *port = std::atoi(port_buffer);
  return true;
}

bool socket_matches(int fd, const std::string& remote_addr, int remote_port, int local_port) {
  sockaddr_storage local{}, peer{};
  socklen_t local_length = sizeof(local), peer_length = sizeof(peer);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) return false;
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) return false;
  std::string host;
  int port = -1;
  if (!host_and_port(local, local_length, &host, &port) || port != local_port) return false;
  return host_and_port(peer, peer_length, &host, &port) && port == remote_port &&
         host == remote_addr;
}

}  // namespace

int find_tcp_socket(const std::string& remote_addr, int remote_port, int local_port) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  const int own = dirfd(dir);
  int found = -1;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    if (socket_matches(static_cast<int>(fd), remote_addr, remote_port, local_port)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return found;
}

bool peer_closed(int fd) {
  pollfd entry{.fd = fd, .events = POLLRDHUP, .revents = 0};
  if (poll(&entry, 1, 0) <= 0) return false;
  return (entry.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

ClientConnection::ClientConnection(std::string remote_addr, int remote_port, int local_port)
    : remote_addr_(std::move(remote_addr)), remote_port_(remote_port), local_port_(local_port) {}

bool ClientConnection::closed() {
  if (remote_port_ < 0 || local_port_ < 0) return false;
  if (fd_ == -2) fd_ = find_tcp_socket(remote_addr_, remote_port_, local_port_);
  return fd_ >= 0 && peer_closed(fd_);
}

}  // namespace qinfer::server
