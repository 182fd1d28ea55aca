// The AArch64 tables: dispatch offers exactly the ones the CPU can run, and each one's quantized
// kernels are bit-identical to the reference (kernels/quant_act.h) on the shapes that exercise
// their tiling: N tails of the 4-row W tiles, M = 1..9 across the 4-row activation tiles and the
// SMMLA row pairs, activation chunks past 64 rows, slices of N starting mid-tile. (Every table
// is also checked against "ref" by quant_matmul_test.cpp on general shapes.) Run under
// qemu-aarch64 with -cpu cortex-a72, neoverse-n1 and max to cover each table. Compiles to
// nothing on other architectures.
//
// The sve table is vector-length agnostic; qemu's "max" CPU runs it at 512 bits. Graviton4 is
// 128-bit and Graviton3 256-bit, so run it at those lengths too (the test prints the length):
//   cd build-arm && for vl in 128 256 512 2048; do
//     QEMU_CPU=max,sve$vl=on qemu-aarch64 ./test_kernels --gtest_filter='Arm*'; done
#if defined(__aarch64__)

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <sys/prctl.h>

#include "base/cpu_features.h"
#include "kernels/arm/arm_kernels.h"
#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/dtype.h"
#include "tensor/quant_blocks.h"

namespace qinfer {
namespace {

int64_t block_elements(DType dtype) { return dtype_info(dtype).block_elements; }

// ---- Test data. ----

// N rows of random blocks: every quant and scale byte random, the f16 scales random normals of
// magnitude ~0.01 (either sign), so integer sums and float steps both vary.
std::vector<uint8_t> random_weights(DType dtype, int64_t N, int64_t K, std::mt19937& rng) {
  const auto bytes = row_bytes(dtype, static_cast<uint64_t>(K));
  std::vector<uint8_t> w(static_cast<size_t>(N) * *bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& v : w) v = static_cast<uint8_t>(byte(rng));
  std::normal_distribution<float> scale(0.0f, 0.01f);
  auto set_f16 = [&](uint8_t* at) {
    const uint16_t h = f32_to_f16(scale(rng));
    std::memcpy(at, &h, 2);
  };
  const int64_t nb = static_cast<int64_t>(*bytes) / dtype_info(dtype).block_bytes * N;
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* block = w.data() + b * dtype_info(dtype).block_bytes;
    switch (dtype) {
      case DType::Q8_0: set_f16(block + offsetof(BlockQ8_0, d)); break;
      case DType::Q4_0: set_f16(block + offsetof(BlockQ4_0, d)); break;
      case DType::Q4_K: set_f16(block + offsetof(BlockQ4_K, d)); set_f16(block + offsetof(BlockQ4_K, dmin)); break;
      case DType::Q5_K: set_f16(block + offsetof(BlockQ5_K, d)); set_f16(block + offsetof(BlockQ5_K, dmin)); break;
      case DType::Q6_K: set_f16(block + offsetof(BlockQ6_K, d)); break;
      default: break;
    }
  }
  return w;
}

// M rows of K activations: normal values, one all-zero block (the amax == 0 rule), one row of
// rounding ties (amax 127 makes the inverse scale exactly 1, and the rest are k + 0.5), one
// block of large values.
std::vector<float> random_activations(int64_t M, int64_t K, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(M * K));
  for (float& v : x) v = dist(rng);
  for (int64_t i = 0; i < 32 && i < K; ++i) x[static_cast<size_t>(i)] = 0.0f;
  if (M > 1) {
    for (int64_t i = 0; i < K; ++i) {
      x[static_cast<size_t>(K + i)] = i % 32 == 0 ? 127.0f : static_cast<float>(i % 20) - 9.5f;
    }
  }
  if (M > 2) {
    for (int64_t i = 0; i < 32 && i < K; ++i) x[static_cast<size_t>(2 * K + i)] *= 1e6f;
  }
  return x;
}

const DType kQuantTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::string shape_name(const KernelTable* table, DType dtype, int64_t M, int64_t N, int64_t K) {
  return std::string(table->name) + " " + std::string(dtype_name(dtype)) + " M=" +
         std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K);
}

// Every table this CPU can run, checked once per shape.
void check_all_tables(DType dtype, int64_t M, int64_t N, int64_t K, int64_t n_begin, int64_t n_end,
                      std::mt19937& rng) {
  const std::vector<uint8_t> w = random_weights(dtype, N, K, rng);
  const std::vector<float> x = random_activations(M, K, rng);
  const KernelTable& ref = ref_kernel_table();
  const int64_t xq_bytes = act_row_bytes(dtype, K);
  std::vector<uint8_t> expected_xq(static_cast<size_t>(M * xq_bytes));
  for (int64_t m = 0; m < M; ++m) ref.quantize_act(x.data() + m * K, K, dtype, expected_xq.data() + m * xq_bytes);
  std::vector<float> scratch(static_cast<size_t>(kMatmulTileRows * K));
  const int64_t ldy = N + 3;
  const float kUntouched = -12345.0f;
  std::vector<float> expected_y(static_cast<size_t>(M * ldy), kUntouched);
  ref.matmul_quant(expected_xq.data(), M, K, w.data(), dtype, n_begin, n_end, expected_y.data(), ldy, scratch.data());
  for (const KernelTable* table : arm_kernel_tables(cpu_features())) {
    SCOPED_TRACE(shape_name(table, dtype, M, N, K));
    std::vector<uint8_t> xq(expected_xq.size(), 0xAA);
    for (int64_t m = 0; m < M; ++m) table->quantize_act(x.data() + m * K, K, dtype, xq.data() + m * xq_bytes);
    ASSERT_EQ(0, std::memcmp(xq.data(), expected_xq.data(), xq.size())) << "quantize_act differs";
    std::vector<float> y(expected_y.size(), kUntouched);
    table->matmul_quant(xq.data(), M, K, w.data(), dtype, n_begin, n_end, y.data(), ldy, scratch.data());
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(expected_y[i]), std::bit_cast<uint32_t>(y[i]))
          << "y[" << i / ldy << ", " << i % ldy << "] = " << y[i] << ", expected " << expected_y[i];
    }
  }
}

TEST(ArmKernels, OffersTheTablesTheCpuSupports) {
  const CpuFeatures& features = cpu_features();
  std::string names;
  for (const KernelTable* table : arm_kernel_tables(features)) names += std::string(table->name) + " ";
  std::string expected;
  if (features.neon) expected += "neon ";
  if (features.neon && features.dotprod) expected += "dotprod ";
  if (features.neon && features.dotprod && features.i8mm) expected += "i8mm ";
  if (features.neon && features.dotprod && features.i8mm && features.sve) expected += "sve ";
  EXPECT_EQ(expected, names) << "CPU features: " << features.to_string();
  EXPECT_NE(names, "") << "every AArch64 server has NEON";
}

TEST(ArmKernels, QuantizedMatmulBitIdenticalToReferenceForOddShapes) {
  std::mt19937 rng(20261127);
  for (DType dtype : kQuantTypes) {
    const int64_t block = block_elements(dtype);
    for (int64_t blocks : {int64_t{1}, int64_t{2}, int64_t{3}}) {
      for (int64_t M : {1, 2, 3, 4, 5, 6, 7, 8, 9}) {
        for (int64_t N : {1, 6, 9}) check_all_tables(dtype, M, N, blocks * block, 0, N, rng);
      }
    }
    if (block == 32) check_all_tables(dtype, 3, 7, 7 * 32, 0, 7, rng);  // more blocks per row
  }
}

TEST(ArmKernels, QuantizedMatmulWritesOnlyItsSliceOfN) {
  std::mt19937 rng(7);
  for (DType dtype : kQuantTypes) {
    const int64_t K = block_elements(dtype) * 2;
    check_all_tables(dtype, 1, 13, K, 3, 10, rng);
    check_all_tables(dtype, 6, 13, K, 5, 6, rng);
    check_all_tables(dtype, 5, 13, K, 1, 13, rng);
  }
}

// Prefill chunks activation rows by 64: rows past the first chunk must match too.
TEST(ArmKernels, QuantizedMatmulAcrossActivationChunks) {
  std::mt19937 rng(11);
  check_all_tables(DType::Q4_K, 67, 5, kQK_K, 0, 5, rng);
  check_all_tables(DType::Q8_0, 70, 6, 64, 0, 6, rng);
}

// The sve table's decode (M = 1) steps through each block in vectors of the run-time length, with
// a partial last vector when the length does not divide a run: many blocks per row, both ends of
// a slice mid-tile, every type. Meant to run at several vector lengths (see the top).
TEST(ArmKernels, SveDecodeBitIdenticalToReferenceAtThisVectorLength) {
  if (!cpu_features().sve) GTEST_SKIP() << "no SVE on this CPU";
  const int vector_bits = 8 * (prctl(PR_SVE_GET_VL) & PR_SVE_VL_LEN_MASK);
  RecordProperty("sve_vector_bits", vector_bits);
  std::printf("SVE vector length: %d bits\n", vector_bits);
  std::mt19937 rng(31);
  for (DType dtype : kQuantTypes) {
    const int64_t K = block_elements(dtype) * (block_elements(dtype) == 32 ? 40 : 6);
    check_all_tables(dtype, 1, 11, K, 0, 11, rng);
    check_all_tables(dtype, 1, 16, K, 2, 15, rng);
  }
}

// ---- Float paths. ----

// F16/BF16 bit patterns: random normals plus the awkward ones (subnormals, zeros of both signs,
// the largest finite values). NaN and inf are left out: their products do not compare.
std::vector<uint16_t> random_half_weights(DType dtype, int64_t count, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<uint16_t> w(static_cast<size_t>(count));
  for (uint16_t& h : w) h = dtype == DType::F16 ? f32_to_f16(dist(rng)) : f32_to_bf16(dist(rng));
  const uint16_t specials_f16[] = {0x0001, 0x83ff, 0x0000, 0x8000, 0x7bff, 0x0400};
  const uint16_t specials_bf16[] = {0x0001, 0x807f, 0x0000, 0x8000, 0x7f7f, 0x0080};
  for (size_t i = 0; i < 6 && i < w.size(); ++i) w[i * 7 % w.size()] = dtype == DType::F16 ? specials_f16[i] : specials_bf16[i];
  return w;
}

// The float matmul keeps ref_dot's order, so it must match ref_matmul bit for bit.
TEST(ArmKernels, FloatMatmulBitIdenticalToReference) {
  std::mt19937 rng(17);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    for (int64_t K : {1, 5, 8, 13, 64, 67}) {
      for (int64_t M : {1, 2, 3, 5, 9}) {
        const int64_t N = 11, ldy = N + 2;
        std::vector<float> x(static_cast<size_t>(M * K));
        for (float& v : x) v = dist(rng);
        std::vector<float> w_f32(static_cast<size_t>(N * K));
        for (float& v : w_f32) v = dist(rng);
        const std::vector<uint16_t> w_half = random_half_weights(dtype, N * K, rng);
        const void* w = dtype == DType::F32 ? static_cast<const void*>(w_f32.data()) : w_half.data();
        std::vector<float> scratch(static_cast<size_t>(kMatmulTileRows * K));
        std::vector<float> expect(static_cast<size_t>(M * ldy), -1.0f);
        ref_matmul(x.data(), M, K, w, dtype, 2, N, expect.data(), ldy, scratch.data());
        for (const KernelTable* table : arm_kernel_tables(cpu_features())) {
          std::vector<float> y(expect.size(), -1.0f);
          table->matmul(x.data(), M, K, w, dtype, 2, N, y.data(), ldy, scratch.data());
          for (size_t i = 0; i < y.size(); ++i) {
            ASSERT_EQ(std::bit_cast<uint32_t>(expect[i]), std::bit_cast<uint32_t>(y[i]))
                << table->name << " " << dtype_name(dtype) << " M=" << M << " K=" << K << " at " << i;
          }
        }
      }
    }
  }
}

// |actual - expect| <= rel * |expect|, with an absolute floor for results near 0.
void expect_relative(float actual, float expect, double rel, const std::string& what) {
  EXPECT_NEAR(actual, expect, rel * std::fabs(expect) + 1e-37) << what;
}

// The vector exp across its whole range, seen through silu: exp(-g) for g in [-100, 100]
// covers overflow to inf (g < -88.7), subnormal results (g > 87.3) and the steps in between.
TEST(ArmKernels, SiluMulWithinUlpsOfReference) {
  const int64_t n = 20003;
  std::vector<float> gate(static_cast<size_t>(n)), up(static_cast<size_t>(n), 1.0f);
  for (int64_t i = 0; i < n; ++i) gate[static_cast<size_t>(i)] = -100.0f + 200.0f * static_cast<float>(i) / (n - 1);
  std::vector<float> expect(static_cast<size_t>(n));
  ref_silu_mul(gate.data(), up.data(), n, expect.data());
  for (const KernelTable* table : arm_kernel_tables(cpu_features())) {
    std::vector<float> out(static_cast<size_t>(n));
    table->silu_mul(gate.data(), up.data(), n, out.data());
    for (int64_t i = 0; i < n; ++i) {
      expect_relative(out[i], expect[i], 5e-7, std::string(table->name) + " g=" + std::to_string(gate[i]));
    }
  }
}

TEST(ArmKernels, SoftmaxAndAttentionWithinUlpsOfReference) {
  std::mt19937 rng(23);
  std::normal_distribution<float> dist(0.0f, 6.0f);
  for (int64_t n : {1, 3, 4, 7, 64, 1001}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = dist(rng);
    std::vector<float> expect = x;
    ref_softmax(expect.data(), n);
    for (const KernelTable* table : arm_kernel_tables(cpu_features())) {
      std::vector<float> p = x;
      table->softmax(p.data(), n);
      for (int64_t i = 0; i < n; ++i) expect_relative(p[i], expect[i], 1e-6, std::string(table->name) + " softmax n=" + std::to_string(n));
    }
  }
  for (int64_t head_dim : {4, 12, 128}) {
    for (int64_t n_keys : {1, 5, 33}) {
      const int64_t kv_stride = head_dim * 3;
      std::vector<float> q(static_cast<size_t>(head_dim)), kv(static_cast<size_t>(2 * n_keys * kv_stride));
      for (float& v : q) v = dist(rng) / 6.0f;
      for (float& v : kv) v = dist(rng) / 6.0f;
      const float* k = kv.data();
      const float* v = kv.data() + n_keys * kv_stride;
      const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
      std::vector<float> scores(static_cast<size_t>(n_keys)), expect(static_cast<size_t>(head_dim));
      ref_attention_head(q.data(), k, v, DType::F32, n_keys, kv_stride, head_dim, scale, scores.data(), expect.data());
      for (const KernelTable* table : arm_kernel_tables(cpu_features())) {
        std::vector<float> out(static_cast<size_t>(head_dim), NAN);
        table->attention_head(q.data(), k, v, DType::F32, n_keys, kv_stride, head_dim, scale, scores.data(), out.data());
        // A weighted mean of values of size ~1: an absolute bound of a few ulp of 1.
        for (int64_t d = 0; d < head_dim; ++d) EXPECT_NEAR(out[d], expect[d], 2e-6) << table->name << " D=" << head_dim << " keys=" << n_keys;
      }
    }
  }
}

// float_backends_test.cpp and kv_f16_kernels_test.cpp check attention_heads against
// attention_head on every table that has one; this keeps them from passing by skipping ARM.
TEST(ArmKernels, EveryTableAttendsGqaGroupsTogether) {
  for (const KernelTable* table : arm_kernel_tables(cpu_features())) {
    EXPECT_NE(table->attention_heads, nullptr) << table->name;
  }
}

}  // namespace
}  // namespace qinfer

#endif  // defined(__aarch64__)
