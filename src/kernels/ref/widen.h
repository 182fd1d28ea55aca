// Exact f16/bf16 -> f32 widening as branch-free bit arithmetic, so loops over rows vectorize.
#pragma once

#include <bit>
#include <cstdint>

namespace qinfer::ref {

// bf16 is the top half of an f32: widening is a shift.
inline float bf16_bits_to_f32(uint16_t h) { return std::bit_cast<float>(uint32_t{h} << 16); }

// IEEE half -> single. Normals and inf/NaN: move exponent+mantissa into place and rebias
// (15 -> 127, plus 128-16 more for the all-ones exponent). Subnormals (exponent 0): the value
// is mantissa * 2^-24 exactly, which an int->float conversion and one multiply reproduce.
inline float f16_bits_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t magnitude = h & 0x7fffu;
  const uint32_t normal = (magnitude << 13) + 0x38000000u;
  const uint32_t inf_nan = normal + 0x38000000u;
  const uint32_t subnormal =
      std::bit_cast<uint32_t>(static_cast<float>(static_cast<int32_t>(magnitude)) * 0x1p-24f);
  uint32_t bits = magnitude >= 0x7c00u ? inf_nan : normal;
  bits = magnitude < 0x400u ? subnormal : bits;
  return std::bit_cast<float>(bits | sign);
}

}  // namespace qinfer::ref
