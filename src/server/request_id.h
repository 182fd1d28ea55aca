// Request ids for access logs, taken from a client's X-Request-Id or made up.
#pragma once

#include <string>

namespace qinfer::server {

// True when a client's X-Request-Id can be kept: 1-128 characters of [A-Za-z0-9._:-], so it
// cannot smuggle anything into a log line or a response header.
bool is_sane_request_id(const std::string& id);

// 32 random hex digits.
std::string new_request_id();

}  // namespace qinfer::server
