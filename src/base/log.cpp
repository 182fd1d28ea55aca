#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace qinfer {
namespace {

std::atomic<LogFormat> g_format{LogFormat::json};
std::atomic<LogLevel> g_min_level{LogLevel::info};
std::mutex g_write_mutex;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

bool is_reserved_key(const std::string& key) {
  return key == "ts" || key == "level" || key == "msg";
}

std::string dump_replacing_invalid_utf8(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Text format values: strings bare unless they hold spaces, quotes or '=', then JSON-quoted.
std::string text_value(const nlohmann::json& value) {
  if (!value.is_string()) return dump_replacing_invalid_utf8(value);
  const std::string& text = value.get_ref<const std::string&>();
  const bool plain = !text.empty() && text.find_first_of(" \t\"=\n\r\\") == std::string::npos;
  return plain ? text : dump_replacing_invalid_utf8(value);
}

}  // namespace

Expected<LogLevel> parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::debug;
  if (name == "info") return LogLevel::info;
  if (name == "warn" || name == "warning") return LogLevel::warn;
  if (name == "error") return LogLevel::error;
  return make_error("log level '{}': expected debug, info, warn or error", name);
}

Expected<LogFormat> parse_log_format(std::string_view name) {
  if (name == "json") return LogFormat::json;
  if (name == "text") return LogFormat::text;
  return make_error("log format '{}': expected json or text", name);
}

void configure_logging(LogFormat format, LogLevel min_level) {
  g_format = format;
  g_min_level = min_level;
}

bool log_enabled(LogLevel level) { return level >= g_min_level.load(); }

std::string rfc3339_utc_ms(std::chrono::system_clock::time_point ts) {
  const auto since_epoch = ts.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t time = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis.count()));
  return buffer;
}

std::string format_log_line(LogFormat format, LogLevel level, std::string_view msg,
                            const nlohmann::json& fields,
                            std::chrono::system_clock::time_point ts) {
  const std::string stamp = rfc3339_utc_ms(ts);
  if (format == LogFormat::json) {
    nlohmann::ordered_json line;
    line["ts"] = stamp;
    line["level"] = level_name(level);
    line["msg"] = std::string(msg);
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        line[is_reserved_key(key) ? "field_" + key : key] = value;
      }
    }
    // Invalid UTF-8 (a client's bytes) becomes U+FFFD instead of throwing.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = stamp + " " + level_name(level);
  line.append(6 - std::string_view(level_name(level)).size(), ' ');
  line += msg;
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line += " " + key + "=" + text_value(value);
  }
  return line;
}

void log_event(LogLevel level, std::string_view msg, const nlohmann::json& fields) {
  if (!log_enabled(level)) return;
  std::string line =
      format_log_line(g_format.load(), level, msg, fields, std::chrono::system_clock::now());
  line += '\n';
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace qinfer
