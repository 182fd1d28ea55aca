#include "tensor/dtype.h"

#include <array>
#include <cassert>
#include <limits>

namespace qinfer {
namespace {

constexpr std::array<DTypeInfo, 8> kDTypes = {{
    {DType::F32, "f32", 1, 4},
    {DType::F16, "f16", 1, 2},
    {DType::BF16, "bf16", 1, 2},
    {DType::Q8_0, "q8_0", 32, 34},
    {DType::Q4_0, "q4_0", 32, 18},
    {DType::Q4_K, "q4_K", 256, 144},
    {DType::Q5_K, "q5_K", 256, 176},
    {DType::Q6_K, "q6_K", 256, 210},
}};

}  // namespace

std::optional<DTypeInfo> dtype_info(uint32_t ggml_type_id) {
  for (const auto& info : kDTypes) {
    if (static_cast<uint32_t>(info.dtype) == ggml_type_id) return info;
  }
  return std::nullopt;
}

DTypeInfo dtype_info(DType dtype) {
  auto info = dtype_info(static_cast<uint32_t>(dtype));
  assert(info.has_value());
  return *info;
}

std::string_view dtype_name(DType dtype) { return dtype_info(dtype).name; }

std::optional<uint64_t> row_bytes(DType dtype, uint64_t elements) {
  DTypeInfo info = dtype_info(dtype);
  if (elements % info.block_elements != 0) return std::nullopt;
  uint64_t blocks = elements / info.block_elements;
  if (blocks > std::numeric_limits<uint64_t>::max() / info.block_bytes) return std::nullopt;
  return blocks * info.block_bytes;
}

uint16_t f32_to_f16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint32_t sign = (bits >> 16) & 0x8000u;
  uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow rounds to inf
  if (abs < 0x38800000u) {
    // Result is subnormal (or zero): scale into the subnormal grid, rounding to nearest even.
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);  // below half the smallest subnormal
    uint32_t mantissa = (abs & 0x007fffffu) | 0x00800000u;
    // value = mantissa * 2^(exponent - 150) and the f16 subnormal step is 2^-24.
    uint32_t drop = 126u - (abs >> 23);  // 14..24 bits dropped
    uint32_t half = 1u << (drop - 1);
    uint32_t rounded = mantissa >> drop;
    uint32_t rest = mantissa & ((1u << drop) - 1);
    if (rest > half || (rest == half && (rounded & 1u))) ++rounded;
    return static_cast<uint16_t>(sign | rounded);
  }
  // Normal: rebias exponent (127 -> 15) and round the 23-bit mantissa to 10 bits.
  uint32_t rebased = abs - 0x38000000u;
  uint32_t rounded = (rebased + 0x0fffu + ((rebased >> 13) & 1u)) >> 13;
  return static_cast<uint16_t>(sign | rounded);
}

float f16_to_f32(uint16_t value) {
  uint32_t sign = static_cast<uint32_t>(value & 0x8000u) << 16;
  uint32_t exponent = (value >> 10) & 0x1fu;
  uint32_t mantissa = value & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(112 - e) << 23 | (mantissa & 0x3ffu) << 13;
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | mantissa << 13;
  } else {
    bits = sign | (exponent + 112) << 23 | mantissa << 13;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

}  // namespace qinfer
