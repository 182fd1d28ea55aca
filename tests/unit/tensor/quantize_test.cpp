// Block quantization (tensor/quantize.h). Bit-identity with ggml is checked by the oracle test
// tests/reference/test_quantize.py; these tests pin the layouts with hand-computed blocks and
// bound the round-trip error on the inputs that stress a quantizer: zeros, constants, one sign,
// outliers and large magnitudes.
#include "tensor/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/quant_blocks.h"

namespace qinfer {
namespace {

constexpr DType kQuantTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::vector<std::byte> quantize(DType dtype, const std::vector<float>& values) {
  std::vector<std::byte> out(*row_bytes(dtype, values.size()));
  quantize_row(dtype, values.data(), static_cast<int64_t>(values.size()), out.data());
  return out;
}

std::vector<float> round_trip(DType dtype, const std::vector<float>& values) {
  std::vector<std::byte> blocks = quantize(dtype, values);
  std::vector<float> out(values.size());
  dequantize_row(dtype, blocks.data(), static_cast<int64_t>(values.size()), out.data());
  return out;
}

std::vector<float> normal_values(size_t n, float sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> values(n);
  for (float& v : values) v = dist(rng);
  return values;
}

// Root-mean-square error relative to the input's root mean square.
double relative_rmse(const std::vector<float>& expected, const std::vector<float>& actual) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    err += (double{actual[i]} - expected[i]) * (double{actual[i]} - expected[i]);
    ref += double{expected[i]} * expected[i];
  }
  return std::sqrt(err / ref);
}

// Measured on N(0, 1) rows (Q8_0 0.0043, Q4_0 0.089, Q4_K 0.060, Q5_K 0.030, Q6_K 0.015), with
// headroom; a packing or scale bug gives errors of order 1.
double rmse_bound(DType dtype) {
  switch (dtype) {
    case DType::Q8_0: return 0.006;
    case DType::Q4_0: return 0.11;
    case DType::Q4_K: return 0.075;
    case DType::Q5_K: return 0.038;
    case DType::Q6_K: return 0.02;
    default: return 0;
  }
}

TEST(Quantize, IsQuantized) {
  for (DType dtype : kQuantTypes) EXPECT_TRUE(is_quantized(dtype)) << dtype_name(dtype);
  EXPECT_FALSE(is_quantized(DType::F32));
  EXPECT_FALSE(is_quantized(DType::F16));
  EXPECT_FALSE(is_quantized(DType::BF16));
}

TEST(Quantize, RoundTripErrorOfNormalRows) {
  const std::vector<float> values = normal_values(256 * 64, 1.0f, 1);
  for (DType dtype : kQuantTypes) {
    const double rmse = relative_rmse(values, round_trip(dtype, values));
    EXPECT_LT(rmse, rmse_bound(dtype)) << dtype_name(dtype);
    EXPECT_GT(rmse, 0.0) << dtype_name(dtype);  // these inputs are not exactly representable
  }
}

TEST(Quantize, ErrorIsRelativeToScaleAcrossMagnitudes) {
  // fp16 scales are normal from 6e-5 to 65504; rows of magnitude 1e-2 or 1e4 must do as well
  // as 1. (Far smaller rows get subnormal scales and lose precision, in ggml as here.)
  for (float sigma : {1e-2f, 1e4f}) {
    const std::vector<float> values = normal_values(256 * 8, sigma, 2);
    for (DType dtype : kQuantTypes) {
      const double rmse = relative_rmse(values, round_trip(dtype, values));
      EXPECT_LT(rmse, rmse_bound(dtype)) << dtype_name(dtype) << " sigma " << sigma;
    }
  }
}

TEST(Quantize, Q8_0AndQ4_0ErrorPerElementIsHalfAStep) {
  const std::vector<float> values = normal_values(32 * 100, 1.0f, 3);
  const std::vector<float> q8 = round_trip(DType::Q8_0, values);
  const std::vector<float> q4 = round_trip(DType::Q4_0, values);
  for (size_t block = 0; block < values.size() / 32; ++block) {
    float amax = 0;
    for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(values[block * 32 + j]));
    for (size_t j = 0; j < 32; ++j) {
      const size_t i = block * 32 + j;
      // Q8_0 step amax/127 (d rounded to fp16 adds at most 127 * 2^-11 relative).
      EXPECT_LE(std::fabs(q8[i] - values[i]), amax / 127 * 0.5f + amax * 0.07f / 127) << i;
      // Q4_0 step amax/8; the side opposite the extreme can clip at 7 steps: one full step.
      EXPECT_LE(std::fabs(q4[i] - values[i]), amax / 8 * 1.01f) << i;
    }
  }
}

TEST(Quantize, ZerosStayZero) {
  const std::vector<float> zeros(512, 0.0f);
  for (DType dtype : kQuantTypes) {
    std::vector<std::byte> blocks = quantize(dtype, zeros);
    if (dtype == DType::Q4_0) {
      // Q4_0 has no zero-point: zero is level 8 (x = d * (q - 8)) under a zero scale, and that
      // scale is 0 / -8 = -0 (fp16 0x8000), as in ggml.
      BlockQ4_0 block;
      std::memcpy(&block, blocks.data(), sizeof block);
      EXPECT_EQ(block.d, 0x8000);
      for (uint8_t q : block.qs) ASSERT_EQ(q, 0x88);
    } else {
      for (std::byte b : blocks) ASSERT_EQ(b, std::byte{0}) << dtype_name(dtype);
    }
    for (float v : round_trip(dtype, zeros)) ASSERT_EQ(v, 0.0f) << dtype_name(dtype);
  }
}

TEST(Quantize, ConstantRowsComeBackClose) {
  for (float c : {1.0f, -2.5f, 0.01f, 300.0f}) {
    const std::vector<float> values(512, c);
    for (DType dtype : kQuantTypes) {
      for (float v : round_trip(dtype, values)) {
        // Only fp16 rounding of the scale (and for Q4_K/Q5_K a 6-bit sub-scale) is lost.
        ASSERT_NEAR(v, c, std::fabs(c) * 0.02f) << dtype_name(dtype) << " c=" << c;
      }
    }
  }
}

TEST(Quantize, NegativeOnlyAndPositiveOnlyRows) {
  std::vector<float> negative = normal_values(256 * 8, 1.0f, 4);
  for (float& v : negative) v = -std::fabs(v) - 0.1f;
  std::vector<float> positive = negative;
  for (float& v : positive) v = -v;
  for (DType dtype : kQuantTypes) {
    const std::vector<float> neg = round_trip(dtype, negative);
    const std::vector<float> pos = round_trip(dtype, positive);
    EXPECT_LT(relative_rmse(negative, neg), rmse_bound(dtype)) << dtype_name(dtype);
    EXPECT_LT(relative_rmse(positive, pos), rmse_bound(dtype)) << dtype_name(dtype);
    for (float v : neg) ASSERT_LE(v, 0.0f) << dtype_name(dtype);
    for (float v : pos) ASSERT_GE(v, 0.0f) << dtype_name(dtype);
  }
}

TEST(Quantize, OutliersDoNotBreakOtherBlocks) {
  std::vector<float> values = normal_values(256 * 4, 1.0f, 5);
  values[3] = 1000.0f;  // wrecks the resolution of its own block only
  for (DType dtype : kQuantTypes) {
    const size_t block = dtype_info(dtype).block_elements;
    const std::vector<float> out = round_trip(dtype, values);
    std::vector<float> rest(values.begin() + static_cast<long>(block), values.end());
    std::vector<float> rest_out(out.begin() + static_cast<long>(block), out.end());
    EXPECT_LT(relative_rmse(rest, rest_out), rmse_bound(dtype)) << dtype_name(dtype);
    EXPECT_NEAR(out[3], 1000.0f, 1000.0f * 0.02f) << dtype_name(dtype);
  }
}

TEST(Quantize, BlocksAreIndependent) {
  const std::vector<float> values = normal_values(256 * 3, 1.0f, 6);
  for (DType dtype : kQuantTypes) {
    const std::vector<std::byte> whole = quantize(dtype, values);
    std::vector<std::byte> pieces;
    const size_t block = dtype_info(dtype).block_elements;
    for (size_t first = 0; first < values.size(); first += block) {
      std::vector<float> one(values.begin() + static_cast<long>(first),
                             values.begin() + static_cast<long>(first + block));
      const std::vector<std::byte> q = quantize(dtype, one);
      pieces.insert(pieces.end(), q.begin(), q.end());
    }
    EXPECT_EQ(whole, pieces) << dtype_name(dtype);
  }
}

TEST(Quantize, HandComputedQ8_0Block) {
  // x = -16 .. 15: amax 16, d = 16/127 -> fp16 0x3008 (0.1259765625), id = 7.9375.
  std::vector<float> values(32);
  for (int j = 0; j < 32; ++j) values[j] = static_cast<float>(j - 16);
  std::vector<std::byte> bytes = quantize(DType::Q8_0, values);
  BlockQ8_0 block;
  std::memcpy(&block, bytes.data(), sizeof block);
  EXPECT_EQ(block.d, 0x3008);
  EXPECT_EQ(block.qs[0], -127);   // -16 * 7.9375
  EXPECT_EQ(block.qs[15], -8);    // -1 * 7.9375 = -7.9375
  EXPECT_EQ(block.qs[16], 0);
  EXPECT_EQ(block.qs[17], 8);     // 7.9375
  EXPECT_EQ(block.qs[18], 16);    // 15.875
  EXPECT_EQ(block.qs[24], 64);    // 63.5 rounds away from zero
  EXPECT_EQ(block.qs[31], 119);   // 119.0625
  std::vector<float> out(32);
  dequantize_row(DType::Q8_0, bytes.data(), 32, out.data());
  EXPECT_EQ(out[0], -127 * 0.1259765625f);
  EXPECT_EQ(out[31], 119 * 0.1259765625f);
}

TEST(Quantize, Q8_0IsExactOnItsGrid) {
  // Values that are q * 0.25 with amax = 127 * 0.25 are reproduced exactly.
  std::vector<float> values(64);
  for (int j = 0; j < 64; ++j) values[j] = static_cast<float>((j * 37) % 255 - 127) * 0.25f;
  values[5] = 127 * 0.25f;
  values[40] = -127 * 0.25f;
  EXPECT_EQ(round_trip(DType::Q8_0, values), values);
}

TEST(Quantize, HandComputedQ4_0Block) {
  // x_j = j/4 - 4: the extreme is -4, so d = -4 / -8 = 0.5 and q = trunc(2x + 8.5), at most 15:
  // q_j = floor((j + 1) / 2) for the low half, min(15, floor((j + 17) / 2)) for the high half.
  std::vector<float> values(32);
  for (int j = 0; j < 32; ++j) values[j] = static_cast<float>(j) * 0.25f - 4.0f;
  std::vector<std::byte> bytes = quantize(DType::Q4_0, values);
  BlockQ4_0 block;
  std::memcpy(&block, bytes.data(), sizeof block);
  EXPECT_EQ(block.d, 0x3800);  // 0.5
  const uint8_t expected[16] = {0x80, 0x91, 0x91, 0xA2, 0xA2, 0xB3, 0xB3, 0xC4,
                                0xC4, 0xD5, 0xD5, 0xE6, 0xE6, 0xF7, 0xF7, 0xF8};
  for (int j = 0; j < 16; ++j) EXPECT_EQ(block.qs[j], expected[j]) << j;
  std::vector<float> out(32);
  dequantize_row(DType::Q4_0, bytes.data(), 32, out.data());
  EXPECT_EQ(out[0], -4.0f);
  EXPECT_EQ(out[1], -3.5f);   // -3.75 rounds up to q = 1
  EXPECT_EQ(out[15], 0.0f);   // -0.25 -> 8.0 -> q = 8
  EXPECT_EQ(out[31], 3.5f);   // 3.75 clips at q = 15
}

// Hand-built K-quant blocks pin the packed layouts that the kernels read.
TEST(Quantize, DequantizesHandBuiltQ4_KAndQ5_KBlocks) {
  const uint8_t sc[8] = {1, 2, 3, 4, 17, 33, 49, 63};
  const uint8_t m[8] = {0, 1, 2, 3, 16, 32, 48, 63};
  uint8_t scales[kKScaleBytes] = {};
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      scales[j] = sc[j];
      scales[j + 4] = m[j];
    } else {
      scales[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
      scales[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      scales[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
    }
  }
  BlockQ4_K q4{};
  q4.d = 0x3C00;     // 1.0
  q4.dmin = 0x3800;  // 0.5
  std::memcpy(q4.scales, scales, sizeof scales);
  std::memset(q4.qs, 0x21, sizeof q4.qs);  // low nibbles 1 (even sub-blocks), high 2 (odd)
  std::vector<float> out(256);
  dequantize_row(DType::Q4_K, &q4, 256, out.data());
  for (int i = 0; i < 256; ++i) {
    const int j = i / 32;
    const float level = j % 2 == 0 ? 1.0f : 2.0f;
    ASSERT_EQ(out[i], sc[j] * level - 0.5f * m[j]) << i;
  }

  BlockQ5_K q5{};
  q5.d = 0x3C00;
  q5.dmin = 0x3800;
  std::memcpy(q5.scales, scales, sizeof scales);
  std::memset(q5.qs, 0x21, sizeof q5.qs);
  for (int i = 0; i < 32; ++i) q5.qh[i] = static_cast<uint8_t>(i % 2 == 0 ? 0xFF : 0x01);
  dequantize_row(DType::Q5_K, &q5, 256, out.data());
  for (int i = 0; i < 256; ++i) {
    const int j = i / 32;
    // Bit j of qh[i % 32] is the fifth bit of element i; odd qh bytes have it only for j = 0.
    const bool high = (i % 32) % 2 == 0 || j == 0;
    const float level = (j % 2 == 0 ? 1.0f : 2.0f) + (high ? 16.0f : 0.0f);
    ASSERT_EQ(out[i], sc[j] * level - 0.5f * m[j]) << i;
  }
}

TEST(Quantize, DequantizesHandBuiltQ6_KBlock) {
  BlockQ6_K block{};
  block.d = 0x3C00;  // 1.0
  for (int i = 0; i < 16; ++i) block.scales[i] = static_cast<int8_t>(i - 8);
  // Every 6-bit level 33 (value 1): low nibble 1 in both halves of ql, high bits 2 in all four
  // 2-bit fields of qh.
  std::memset(block.ql, 0x11, sizeof block.ql);
  std::memset(block.qh, 0xAA, sizeof block.qh);
  std::vector<float> out(256);
  dequantize_row(DType::Q6_K, &block, 256, out.data());
  for (int i = 0; i < 256; ++i) ASSERT_EQ(out[i], static_cast<float>(i / 16 - 8)) << i;
  // Level 0 (value -32) in element 70 only: half 0, ql[6] high nibble and qh[6] bits 4-5.
  block.ql[6] &= 0x0F;
  block.qh[6] &= static_cast<uint8_t>(~0x30);
  dequantize_row(DType::Q6_K, &block, 256, out.data());
  EXPECT_EQ(out[70], -32.0f * (70 / 16 - 8));
  EXPECT_EQ(out[71], static_cast<float>(71 / 16 - 8));
}

TEST(Quantize, PlainFloatTypesRoundToNearestEven) {
  const std::vector<float> values = {1.0f, -2.5f, 1.0f + 1.0f / 4096, 65504.0f, 1e-8f, 3.14159f};
  std::vector<uint16_t> half(values.size()), brain(values.size());
  quantize_row(DType::F16, values.data(), 6, half.data());
  quantize_row(DType::BF16, values.data(), 6, brain.data());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(half[i], f32_to_f16(values[i]));
    EXPECT_EQ(brain[i], f32_to_bf16(values[i]));
  }
  std::vector<float> back(values.size());
  dequantize_row(DType::F16, half.data(), 6, back.data());
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[2], 1.0f);  // 1 + 2^-12 is a tie between 1 and 1 + 2^-10: even wins
  dequantize_row(DType::F32, values.data(), 6, back.data());
  EXPECT_EQ(back, values);
}

}  // namespace
}  // namespace qinfer
