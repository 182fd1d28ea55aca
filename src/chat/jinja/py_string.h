// Python str semantics on UTF-8 strings: lengths, indices and slices count code points, and
// whitespace is what str.isspace() accepts. Case mapping is ASCII-only (chat templates upper/lower
// role names and constants; full Unicode casing would need tables we do not carry).
#pragma once

#include "base/utf8.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qinfer::jinja::py {

std::u32string decode_utf8(std::string_view s);
std::string encode_utf8(std::u32string_view s);
using qinfer::append_utf8;  // base/utf8.h
int64_t length(std::string_view s);
bool is_space(char32_t cp);

// Python index/slice normalisation for a sequence of `length` elements. Returns the selected
// indices in order; throws TemplateError when step is 0.
std::vector<int64_t> slice_indices(int64_t length, std::optional<int64_t> start,
                                   std::optional<int64_t> stop, std::optional<int64_t> step);

// `chars` absent: strip whitespace; present: strip any of its code points.
std::string strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right);
// `sep` absent: split on whitespace runs, dropping empty pieces; maxsplit < 0 means no limit.
std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
std::string replace(std::string_view s, std::string_view old, std::string_view replacement, int64_t count);
// Code-point index of the first (last) occurrence, or -1.
int64_t find(std::string_view s, std::string_view needle);
int64_t rfind(std::string_view s, std::string_view needle);
int64_t count(std::string_view s, std::string_view needle);
std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string title(std::string_view s);
std::string capitalize(std::string_view s);
std::string swapcase(std::string_view s);

}  // namespace qinfer::jinja::py
