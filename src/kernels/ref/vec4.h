// Four-lane float vectors as GCC/Clang vector extensions: portable C++ (no intrinsics, any
// target ISA) that the compiler maps to SSE, NEON, or pairs of scalars. The reference kernels use
// them where auto-vectorization of a fixed-order reduction is not reliable (GCC will not
// vectorize `acc += x[k] * w[k]` without reassociating, which would change the result).
#pragma once

#include <cstdint>
#include <bit>
#include <cstring>

namespace qinfer::ref {

static_assert(std::endian::native == std::endian::little, "lane shuffles assume little-endian");

typedef float f32x4 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef uint16_t u16x4 __attribute__((vector_size(8)));

inline f32x4 load4(const float* p) {
  f32x4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store4(float* p, f32x4 v) { std::memcpy(p, &v, sizeof(v)); }

typedef uint16_t u16x8 __attribute__((vector_size(16)));

// bf16 is the top half of an f32: widening puts 16 zero bits below each value, which is one
// interleave with zeros (x86 punpcklwd, NEON zip1) on little-endian targets.
inline f32x4 load4_bf16(const uint16_t* p) {
  u16x4 h;
  std::memcpy(&h, p, sizeof(h));
  const u16x4 zero = {};
  return reinterpret_cast<f32x4>(__builtin_shufflevector(zero, h, 0, 4, 1, 5, 2, 6, 3, 7));
}

// IEEE half -> single, exact: normals and inf/NaN move exponent+mantissa into place and rebias
// (15 -> 127, plus 128-16 more for the all-ones exponent); subnormals are mantissa * 2^-24.
inline f32x4 load4_f16(const uint16_t* p) {
  u16x4 h;
  std::memcpy(&h, p, sizeof(h));
  const u32x4 bits = __builtin_convertvector(h, u32x4);
  const u32x4 sign = (bits & 0x8000u) << 16;
  const u32x4 magnitude = bits & 0x7fffu;
  const u32x4 normal = (magnitude << 13) + 0x38000000u;
  const u32x4 inf_nan = normal + 0x38000000u;
  const u32x4 subnormal = reinterpret_cast<u32x4>(
      __builtin_convertvector(reinterpret_cast<i32x4>(magnitude), f32x4) * 0x1p-24f);
  // Vector comparisons yield all-ones lanes where true.
  const u32x4 is_inf_nan = reinterpret_cast<u32x4>(magnitude >= 0x7c00u);
  const u32x4 is_subnormal = reinterpret_cast<u32x4>(magnitude < 0x400u);
  u32x4 out = (inf_nan & is_inf_nan) | (normal & ~is_inf_nan);
  out = (subnormal & is_subnormal) | (out & ~is_subnormal);
  return reinterpret_cast<f32x4>(out | sign);
}

}  // namespace qinfer::ref
