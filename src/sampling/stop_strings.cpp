#include "sampling/stop_strings.h"

#include <algorithm>
#include <utility>

namespace qinfer {

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code = 0;
    uint32_t min_code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F, min_code = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F, min_code = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07, min_code = 0x10000;
    } else {
      return false;  // a continuation byte or 0xF8..0xFF where a character must start
    }
    if (i + length > text.size()) return false;
    for (size_t j = 1; j < length; ++j) {
      const auto next = static_cast<unsigned char>(text[i + j]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

Expected<StopMatcher> StopMatcher::create(std::vector<std::string> stop_strings) {
  for (size_t i = 0; i < stop_strings.size(); ++i) {
    if (stop_strings[i].empty()) return make_error("stop string {} is empty", i);
    if (!is_valid_utf8(stop_strings[i])) return make_error("stop string {} is not valid UTF-8", i);
  }
  return StopMatcher(std::move(stop_strings));
}

StopMatcher::StopMatcher(std::vector<std::string> stop_strings) : stops_(std::move(stop_strings)) {
  size_t longest = 0;
  for (const std::string& stop : stops_) longest = std::max(longest, stop.size());
  // Held-back text is shorter than the longest stop string; pieces are a token's text (a few
  // bytes, rarely more than 64), so this capacity is almost never exceeded.
  pending_.reserve(longest + 256);
}

size_t StopMatcher::held_back_length() const {
  // The longest suffix of pending_ that is a proper prefix of some stop string. Any earlier start
  // position is followed by text that already differs from every stop string, so no stop string
  // can begin there however the text continues: everything before the suffix is safe to emit.
  const std::string_view text = pending_;
  size_t held = 0;
  for (const std::string& stop : stops_) {
    for (size_t length = std::min(stop.size() - 1, text.size()); length > held; --length) {
      if (text.substr(text.size() - length) == std::string_view(stop).substr(0, length)) {
        held = length;
        break;
      }
    }
  }
  return held;
}

StopMatcher::Step StopMatcher::push(std::string_view piece) {
  if (stopped()) return Step{.emit = {}, .stopped = true, .stop_index = stop_index_};
  pending_.erase(0, emitted_);
  pending_.append(piece);
  // Only pending_ can hold a match: emitted text was proven not to begin one.
  size_t best_position = std::string::npos;
  int best_index = -1;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const size_t position = pending_.find(stops_[i]);
    if (position == std::string::npos) continue;
    if (position < best_position ||
        (position == best_position && stops_[i].size() < stops_[static_cast<size_t>(best_index)].size())) {
      best_position = position;
      best_index = static_cast<int>(i);
    }
  }
  if (best_index >= 0) {
    stop_index_ = best_index;
    emitted_ = pending_.size();  // the stop string and whatever followed it are dropped
    return Step{.emit = std::string_view(pending_).substr(0, best_position),
                .stopped = true,
                .stop_index = best_index};
  }
  emitted_ = pending_.size() - held_back_length();
  return Step{.emit = std::string_view(pending_).substr(0, emitted_)};
}

std::string_view StopMatcher::flush() {
  if (stopped()) return {};
  pending_.erase(0, emitted_);
  emitted_ = pending_.size();
  return pending_;
}

}  // namespace qinfer
