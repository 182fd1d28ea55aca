// Which --host values keep the server on this machine: serving a model to the network without an
// API key is refused unless asked for (`serve --insecure`).
#pragma once

#include <string_view>

namespace qinfer::server {

// True for "localhost", 127.0.0.0/8 and ::1 (also written "[::1]" or as ::ffff:127.x.y.z); false
// for everything else, wildcards (0.0.0.0, ::) and names included: a name other than localhost
// could resolve to anything.
bool is_loopback_host(std::string_view host);

}  // namespace qinfer::server
