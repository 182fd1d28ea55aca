#include "tensor/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace qinfer {
namespace {

TEST(DType, RowBytesRequiresWholeBlocks) {
  EXPECT_EQ(row_bytes(DType::F32, 10), 40u);
  EXPECT_EQ(row_bytes(DType::BF16, 3), 6u);
  EXPECT_EQ(row_bytes(DType::Q8_0, 64), 68u);
  EXPECT_FALSE(row_bytes(DType::Q8_0, 33).has_value());
  EXPECT_FALSE(row_bytes(DType::F32, UINT64_MAX / 2).has_value());
  EXPECT_FALSE(dtype_info(uint32_t{999}).has_value());
  EXPECT_EQ(dtype_name(DType::Q4_K), "q4_K");
}

TEST(DType, F16RoundTripsEveryHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f))));
      continue;
    }
    EXPECT_EQ(f32_to_f16(f), h) << "half 0x" << std::hex << h;
  }
}

// The compiler's own half type is an independent implementation of IEEE rounding.
#if defined(__aarch64__)
using CompilerHalf = __fp16;
#define QINFER_HAVE_COMPILER_HALF 1
#elif defined(__FLT16_MAX__) && defined(__x86_64__)
using CompilerHalf = _Float16;
#define QINFER_HAVE_COMPILER_HALF 1
#endif

#if defined(QINFER_HAVE_COMPILER_HALF)
TEST(DType, F16RoundingMatchesCompiler) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 2000000; ++i) {
    uint32_t b = bits(rng);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isnan(f)) continue;
    CompilerHalf expected = static_cast<CompilerHalf>(f);
    uint16_t expected_bits;
    std::memcpy(&expected_bits, &expected, 2);
    ASSERT_EQ(f32_to_f16(f), expected_bits) << "f32 bits 0x" << std::hex << b;
  }
}
#endif

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 is exactly halfway between two bf16 values: ties go to the even mantissa (1.0).
  EXPECT_EQ(f32_to_bf16(1.0f + 1.0f / 256), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.0f + 3.0f / 256), 0x3f82);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

}  // namespace
}  // namespace qinfer
