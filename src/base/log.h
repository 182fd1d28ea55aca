// Leveled, structured logs on stderr for long-running processes (`qinfer serve`): one line per
// event, either a JSON object for log collectors (journald, Loki, CloudWatch parse it as is)
//
//   {"ts":"2026-11-27T22:43:21.123Z","level":"info","msg":"ready","model":"qwen3-14b"}
//
// or text for a person at a terminal:
//
//   2026-11-27T22:43:21.123Z info  ready model=qwen3-14b
//
// Lines from several threads never interleave. The one-shot commands (run, bench, ...) keep
// their human output and do not use this.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/expected.h"

namespace qinfer {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };
enum class LogFormat { json, text };

Expected<LogLevel> parse_log_level(std::string_view name);    // debug, info, warn, error
Expected<LogFormat> parse_log_format(std::string_view name);  // json, text

// Process-wide; the defaults are json and info.
void configure_logging(LogFormat format, LogLevel min_level);
bool log_enabled(LogLevel level);

// Writes one line when `level` is enabled. `fields` is a JSON object of extra keys; in JSON
// format they follow ts, level and msg (a field named like one of those is prefixed "field_").
void log_event(LogLevel level, std::string_view msg,
               const nlohmann::json& fields = nlohmann::json::object());

// The line log_event writes, without its newline (for tests).
std::string format_log_line(LogFormat format, LogLevel level, std::string_view msg,
                            const nlohmann::json& fields, std::chrono::system_clock::time_point ts);

// RFC 3339 UTC with milliseconds: 2026-11-27T22:43:21.123Z.
std::string rfc3339_utc_ms(std::chrono::system_clock::time_point ts);

}  // namespace qinfer
