#include "chat/jinja/py_string.h"

#include <algorithm>

#include "chat/jinja/error.h"

namespace qinfer::jinja::py {

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const int extra = lead < 0x80 ? 0 : lead >= 0xF8 ? -1 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : -1;
    if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) {
      // A stray continuation byte or a truncated sequence: U+FFFD, as Python's "replace" would.
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    char32_t cp = extra == 0 ? lead : extra == 1 ? (lead & 0x1F) : extra == 2 ? (lead & 0x0F) : (lead & 0x07);
    bool valid = true;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (next & 0x3F);
    }
    if (!valid) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

std::string encode_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) append_utf8(out, cp);
  return out;
}

int64_t length(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool is_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E:
    case 0x1F: case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::vector<int64_t> slice_indices(int64_t length, std::optional<int64_t> start,
                                   std::optional<int64_t> stop, std::optional<int64_t> step) {
  const int64_t stride = step.value_or(1);
  if (stride == 0) throw TemplateError("slice step cannot be zero");
  // CPython's PySlice_AdjustIndices.
  auto adjust = [&](std::optional<int64_t> v, int64_t if_absent) {
    if (!v) return if_absent;
    int64_t x = *v;
    if (x < 0) {
      x += length;
      if (x < 0) x = stride < 0 ? -1 : 0;
    } else if (x >= length) {
      x = stride < 0 ? length - 1 : length;
    }
    return x;
  };
  const int64_t lo = adjust(start, stride < 0 ? length - 1 : 0);
  const int64_t hi = adjust(stop, stride < 0 ? -1 : length);
  std::vector<int64_t> out;
  if (stride > 0) {
    for (int64_t i = lo; i < hi; i += stride) out.push_back(i);
  } else {
    for (int64_t i = lo; i > hi; i += stride) out.push_back(i);
  }
  return out;
}

std::string strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right) {
  const std::u32string text = decode_utf8(s);
  const std::u32string set = chars ? decode_utf8(*chars) : std::u32string();
  auto strippable = [&](char32_t cp) { return chars ? set.find(cp) != std::u32string::npos : is_space(cp); };
  size_t begin = 0;
  size_t end = text.size();
  if (left) while (begin < end && strippable(text[begin])) ++begin;
  if (right) while (end > begin && strippable(text[end - 1])) --end;
  return encode_utf8(std::u32string_view(text).substr(begin, end - begin));
}

static void require_separator(const std::optional<std::string>& sep) {
  if (sep && sep->empty()) throw TemplateError("split(): empty separator");
}

std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  require_separator(sep);
  std::vector<std::string> out;
  if (sep) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      const size_t hit = s.find(*sep, pos);
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    out.emplace_back(s.substr(pos));
    return out;
  }
  const std::u32string text = decode_utf8(s);
  size_t i = 0;
  while (true) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      out.push_back(encode_utf8(std::u32string_view(text).substr(i)));  // keeps trailing space, as CPython
      break;
    }
    size_t j = i;
    while (j < text.size() && !is_space(text[j])) ++j;
    out.push_back(encode_utf8(std::u32string_view(text).substr(i, j - i)));
    i = j;
  }
  return out;
}

std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  if (maxsplit < 0 || !sep) {
    if (maxsplit < 0) return split(s, sep, maxsplit);
    // Whitespace rsplit with a limit: split everything, then re-join the leading pieces.
    std::vector<std::string> all = split(s, sep, -1);
    if (static_cast<int64_t>(all.size()) <= maxsplit + 1) return all;
    const std::u32string text = decode_utf8(s);
    size_t end = text.size();
    std::vector<std::string> tail;
    for (int64_t k = 0; k < maxsplit; ++k) {
      while (end > 0 && is_space(text[end - 1])) --end;
      size_t begin = end;
      while (begin > 0 && !is_space(text[begin - 1])) --begin;
      tail.insert(tail.begin(), encode_utf8(std::u32string_view(text).substr(begin, end - begin)));
      end = begin;
    }
    while (end > 0 && is_space(text[end - 1])) --end;
    tail.insert(tail.begin(), encode_utf8(std::u32string_view(text).substr(0, end)));  // keeps leading space
    return tail;
  }
  require_separator(sep);
  std::vector<std::string> out;
  size_t end = s.size();
  while (static_cast<int64_t>(out.size()) < maxsplit) {
    if (end < sep->size()) break;
    const size_t hit = s.rfind(*sep, end - sep->size());
    if (hit == std::string_view::npos) break;
    out.insert(out.begin(), std::string(s.substr(hit + sep->size(), end - hit - sep->size())));
    end = hit;
  }
  out.insert(out.begin(), std::string(s.substr(0, end)));
  return out;
}

std::string replace(std::string_view s, std::string_view old, std::string_view replacement, int64_t count) {
  std::string out;
  if (old.empty()) {
    // Python inserts the replacement before every code point and at the end.
    const std::u32string text = decode_utf8(s);
    int64_t done = 0;
    for (char32_t cp : text) {
      if (count < 0 || done < count) {
        out += replacement;
        ++done;
      }
      append_utf8(out, cp);
    }
    if (count < 0 || done < count) out += replacement;
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t hit = s.find(old, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(replacement);
    pos = hit + old.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

int64_t find(std::string_view s, std::string_view needle) {
  const size_t hit = s.find(needle);
  return hit == std::string_view::npos ? -1 : length(s.substr(0, hit));
}

int64_t rfind(std::string_view s, std::string_view needle) {
  const size_t hit = s.rfind(needle);
  return hit == std::string_view::npos ? -1 : length(s.substr(0, hit));
}

int64_t count(std::string_view s, std::string_view needle) {
  if (needle.empty()) return length(s) + 1;
  int64_t n = 0;
  size_t pos = 0;
  while ((pos = s.find(needle, pos)) != std::string_view::npos) {
    ++n;
    pos += needle.size();
  }
  return n;
}

static bool is_ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_ascii_lower(char c) { return c >= 'a' && c <= 'z'; }
static char to_upper(char c) { return is_ascii_lower(c) ? static_cast<char>(c - 32) : c; }
static char to_lower(char c) { return is_ascii_upper(c) ? static_cast<char>(c + 32) : c; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_upper(c);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

std::string swapcase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = is_ascii_upper(c) ? to_lower(c) : to_upper(c);
  return out;
}

// Python str.title(): a letter following a cased letter is lowered, any other letter is uppered.
// Non-ASCII bytes count as letters that are not cased here.
std::string title(std::string_view s) {
  std::string out(s);
  bool previous_cased = false;
  for (char& c : out) {
    if (is_ascii_upper(c) || is_ascii_lower(c)) {
      c = previous_cased ? to_lower(c) : to_upper(c);
      previous_cased = true;
    } else {
      previous_cased = false;
    }
  }
  return out;
}

std::string capitalize(std::string_view s) {
  std::string out = lower(s);
  if (!out.empty()) out[0] = to_upper(out[0]);
  return out;
}

}  // namespace qinfer::jinja::py
