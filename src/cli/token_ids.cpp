#include "cli/token_ids.h"

#include <charconv>
#include <string_view>

namespace qinfer::cli {

Expected<std::vector<int32_t>> parse_token_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::string_view rest = text;
  size_t index = 0;
  for (;;) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) {
      if (text.find_first_not_of(' ') == std::string::npos) return make_error("--ids: no token ids given");
      return make_error("--ids: item {} is empty", index + 1);
    }
    int32_t value = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.front() == '-' || item.front() == '+') {
      return make_error("--ids: '{}' is not a token id (ids are non-negative integers)", item);
    }
    if (error == std::errc::result_out_of_range) return make_error("--ids: '{}' is too large", item);
    if (error != std::errc() || end != item.data() + item.size()) {
      return make_error("--ids: '{}' is not a token id (expected comma-separated integers)", item);
    }
    ids.push_back(value);
    ++index;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return ids;
}

Status check_token_ids(const std::vector<int32_t>& ids, int64_t vocab_size, int64_t max_positions,
                       int64_t extra_positions) {
  if (ids.empty()) return make_error("--ids: no token ids given");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= vocab_size) {
      return make_error("--ids: token id {} (item {}) is outside the model's vocabulary [0, {})",
                        ids[i], i + 1, vocab_size);
    }
  }
  const int64_t needed = static_cast<int64_t>(ids.size()) + extra_positions;
  if (needed > max_positions) {
    return make_error("--ids: {} prompt tokens{} exceed the model's context of {} positions",
                      ids.size(),
                      extra_positions > 0 ? fmt::format(" + {} to generate", extra_positions) : "",
                      max_positions);
  }
  return ok_status();
}

}  // namespace qinfer::cli
