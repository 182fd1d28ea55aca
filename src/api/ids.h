// Identifiers the API hands out: "chatcmpl-...", "cmpl-...", "call_...". Random (not counters)
// so that ids from different server runs, replicas or choices never collide in a client's logs,
// and so that a tool result sent back with its tool_call_id cannot match the wrong call.
#pragma once

#include <string>
#include <string_view>

namespace qinfer::api {

// `prefix` followed by `hex_digits` random lowercase hex digits (96 random bits by default).
// Thread-safe: each thread draws from its own generator seeded from std::random_device.
std::string random_id(std::string_view prefix, size_t hex_digits = 24);

inline std::string chat_completion_id() { return random_id("chatcmpl-"); }
inline std::string completion_id() { return random_id("cmpl-"); }
inline std::string tool_call_id() { return random_id("call_"); }

}  // namespace qinfer::api
