#include "server/request_id.h"

#include <fmt/format.h>

#include <random>

namespace qinfer::server {

bool is_sane_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  return fmt::format("{:016x}{:016x}", generator(), generator());
}

}  // namespace qinfer::server
