#include "api/ids.h"

#include <random>

namespace qinfer::api {

std::string random_id(std::string_view prefix, size_t hex_digits) {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  id.reserve(prefix.size() + hex_digits);
  uint64_t bits = 0;
  for (size_t i = 0; i < hex_digits; ++i) {
    if (i % 16 == 0) bits = generator();
    id.push_back(kHex[bits & 0xF]);
    bits >>= 4;
  }
  return id;
}

}  // namespace qinfer::api
