// Element types of weights and activations. The numeric values are ggml's `ggml_type` ids, so a
// GGUF tensor's type field maps straight onto DType; block layouts of the quantized types are
// ggml's (see tensor/quant_blocks.h when they arrive with the kernels).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace qinfer {

enum class DType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
};

struct DTypeInfo {
  DType dtype;
  std::string_view name;         // as ggml and GGUF tools print it ("f32", "bf16", "q8_0", ...)
  uint32_t block_elements;       // elements per block (1 for plain float types)
  uint32_t block_bytes;          // bytes per block
};

// Info for a known dtype; nullopt for an id we do not support (e.g. from a GGUF file).
std::optional<DTypeInfo> dtype_info(uint32_t ggml_type_id);
DTypeInfo dtype_info(DType dtype);
std::string_view dtype_name(DType dtype);

// Bytes needed for a row of `elements` values, or nullopt when `elements` is not a whole number of
// blocks. Overflow-safe for any element count a file can claim.
std::optional<uint64_t> row_bytes(DType dtype, uint64_t elements);

// Round-to-nearest-even conversion, as torch's .to(torch.bfloat16). NaN stays NaN.
inline uint16_t f32_to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float bf16_to_f32(uint16_t value) {
  uint32_t bits = static_cast<uint32_t>(value) << 16;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// IEEE half precision, round-to-nearest-even, with subnormals, inf and NaN.
uint16_t f32_to_f16(float value);
float f16_to_f32(uint16_t value);

}  // namespace qinfer
