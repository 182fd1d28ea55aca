#include "base/log.h"

#include <gtest/gtest.h>

namespace qinfer {
namespace {

// 2026-11-27T22:43:21.123Z
std::chrono::system_clock::time_point example_time() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1795819401123));
}

TEST(Log, FormatsRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(rfc3339_utc_ms(example_time()), "2026-11-27T22:43:21.123Z");
  EXPECT_EQ(rfc3339_utc_ms(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

TEST(Log, JsonLineIsOneObjectWithTsLevelMsgFirst) {
  const std::string line =
      format_log_line(LogFormat::json, LogLevel::warn, "slow \"client\"",
                      {{"status", 200}, {"path", "/v1/x"}, {"msg", "clash"}}, example_time());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.rfind(R"({"ts":"2026-11-27T22:43:21.123Z","level":"warn","msg":"slow \"client\"")",
                       0),
            0u)
      << line;
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["status"], 200);
  EXPECT_EQ(parsed["path"], "/v1/x");
  EXPECT_EQ(parsed["field_msg"], "clash");  // a field never overwrites the message
}

TEST(Log, JsonLineSurvivesInvalidUtf8) {
  const std::string line = format_log_line(LogFormat::json, LogLevel::info, "bad \xff byte",
                                           nlohmann::json::object(), example_time());
  EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

TEST(Log, TextLineQuotesValuesOnlyWhenNeeded) {
  const std::string line = format_log_line(LogFormat::text, LogLevel::info, "request",
                                           {{"path", "/health"}, {"agent", "curl 8"}, {"n", 3}},
                                           example_time());
  EXPECT_EQ(line, "2026-11-27T22:43:21.123Z info  request agent=\"curl 8\" n=3 path=/health");
}

TEST(Log, ParsesNamesAndFiltersLevels) {
  EXPECT_FALSE(parse_log_level("loud").ok());
  EXPECT_FALSE(parse_log_format("xml").ok());
  ASSERT_TRUE(parse_log_format("text").ok());
  configure_logging(LogFormat::json, *parse_log_level("warn"));
  EXPECT_FALSE(log_enabled(LogLevel::info));
  EXPECT_TRUE(log_enabled(LogLevel::error));
  configure_logging(LogFormat::json, LogLevel::info);
}

}  // namespace
}  // namespace qinfer
