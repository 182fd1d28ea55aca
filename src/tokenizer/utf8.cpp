#include "tokenizer/utf8.h"

namespace qinfer::tokenizer {
namespace {

// Result of looking at the sequence starting at bytes[0]:
//   length > 0, complete  -> a valid scalar value of `length` bytes
//   length > 0, !complete -> the input ends inside a sequence that is valid so far
//   invalid_length > 0    -> a maximal ill-formed subpart of that many bytes (>= 1)
struct SequenceCheck {
  size_t length = 0;
  bool complete = false;
  size_t invalid_length = 0;
};

// Well-formed UTF-8 byte sequences (Unicode table 3-7): the allowed range of the second byte
// depends on the lead byte; every later byte is 80..BF.
SequenceCheck check_sequence(const unsigned char* p, size_t available) {
  const unsigned char lead = p[0];
  if (lead < 0x80) return {1, true, 0};
  size_t need = 0;
  unsigned char second_lo = 0x80, second_hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    if (lead == 0xE0) second_lo = 0xA0;   // no overlongs
    if (lead == 0xED) second_hi = 0x9F;   // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    if (lead == 0xF0) second_lo = 0x90;   // no overlongs
    if (lead == 0xF4) second_hi = 0x8F;   // nothing above U+10FFFF
  } else {
    return {0, false, 1};  // C0, C1, F5..FF, or a stray continuation byte
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= available) return {i, false, 0};
    const unsigned char lo = (i == 1) ? second_lo : 0x80;
    const unsigned char hi = (i == 1) ? second_hi : 0xBF;
    if (p[i] < lo || p[i] > hi) return {0, false, i};  // the maximal subpart is p[0, i)
  }
  return {need, true, 0};
}

}  // namespace

size_t find_invalid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // ASCII runs dominate real text: skip 8 bytes at a time while no high bit is set.
    while (i + 8 <= n) {
      uint64_t word;
      __builtin_memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const SequenceCheck check = check_sequence(p + i, n - i);
    if (!check.complete) return i;
    i += check.length;
  }
  return n;
}

size_t append_utf8_lossy(std::string_view bytes, bool end_of_input, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  size_t run_start = 0;  // start of the pending run of valid bytes, copied in one append
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const SequenceCheck check = check_sequence(p + i, n - i);
    if (check.complete) {
      i += check.length;
      continue;
    }
    out.append(bytes.data() + run_start, i - run_start);
    if (check.length > 0) {  // truncated by the end of the input, valid so far
      if (!end_of_input) return i;
      out.append(kReplacementCharUtf8);
      return n;  // the truncated tail is one maximal subpart
    }
    out.append(kReplacementCharUtf8);
    i += check.invalid_length;
    run_start = i;
  }
  out.append(bytes.data() + run_start, n - run_start);
  return n;
}

std::string to_utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_utf8_lossy(bytes, /*end_of_input=*/true, out);
  return out;
}

}  // namespace qinfer::tokenizer
