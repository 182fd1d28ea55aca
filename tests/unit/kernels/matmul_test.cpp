// Matmul vs a double-precision loop, for every weight dtype, odd shapes (K and N not multiples
// of the 8 lanes or 4-row tiles), and the determinism contract: any M, slice or thread count
// gives bit-identical rows.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/dtype.h"
#include "kernel_test_util.h"

namespace qinfer {
namespace {

// A weight [N, K] stored in `dtype`, plus the exact f32 values it holds.
struct TestWeight {
  DType dtype;
  std::vector<uint16_t> half;   // F16/BF16 storage
  std::vector<float> full;      // F32 storage, and the exact values for the reference
  TensorView view;
};

TestWeight make_weight(DType dtype, int64_t N, int64_t K, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  TestWeight w{dtype, {}, std::vector<float>(static_cast<size_t>(N * K)), {}};
  for (float& value : w.full) value = dist(rng);
  if (dtype != DType::F32) {
    w.half.resize(w.full.size());
    for (size_t i = 0; i < w.full.size(); ++i) {
      w.half[i] = dtype == DType::BF16 ? f32_to_bf16(w.full[i]) : f32_to_f16(w.full[i]);
      w.full[i] = dtype == DType::BF16 ? bf16_to_f32(w.half[i]) : f16_to_f32(w.half[i]);
    }
  }
  w.view.dtype = dtype;
  w.view.shape = {N, K};
  w.view.data = dtype == DType::F32 ? reinterpret_cast<const std::byte*>(w.full.data())
                                    : reinterpret_cast<const std::byte*>(w.half.data());
  w.view.nbytes = static_cast<uint64_t>(N * K) * (dtype == DType::F32 ? 4 : 2);
  return w;
}

class MatmulTest : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulTest, MatchesDoubleLoopOnOddShapes) {
  std::mt19937 rng(7);
  ThreadPool pool(2);
  const int64_t shapes[][3] = {{1, 1, 1}, {1, 7, 5}, {3, 13, 37}, {5, 64, 61}, {17, 131, 9},
                               {2, 1000, 33}};
  for (const auto& shape : shapes) {
    const int64_t M = shape[0], K = shape[1], N = shape[2];
    TestWeight w = make_weight(GetParam(), N, K, rng);
    std::vector<float> x = random_vector(static_cast<size_t>(M * K), rng);
    std::vector<float> y(static_cast<size_t>(M * N), NAN);
    KernelScratch scratch(pool.size(), K, 1);
    const MatmulOutput out{&w.view, y.data()};
    matmul(pool, scratch, x.data(), M, K, {&out, 1});
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        double expect = 0.0, magnitude = 0.0;
        for (int64_t k = 0; k < K; ++k) {
          const double term = static_cast<double>(x[m * K + k]) * w.full[n * K + k];
          expect += term;
          magnitude += std::fabs(term);
        }
        // f32 accumulation of K terms: error bounded by ~K * eps * sum|terms|, far less in
        // practice with 8 lanes; 4 * sqrt(K) * eps is a tight but safe bound.
        const double tolerance = 4.0 * std::sqrt(static_cast<double>(K)) * 1.2e-7 * magnitude;
        EXPECT_NEAR(y[m * N + n], expect, tolerance + 1e-30)
            << "M=" << M << " K=" << K << " N=" << N << " at " << m << "," << n;
      }
    }
  }
}

TEST_P(MatmulTest, RowsAreBitIdenticalForAnyMSliceAndThreadCount) {
  std::mt19937 rng(11);
  const int64_t M = 9, K = 203, N = 29;
  TestWeight w = make_weight(GetParam(), N, K, rng);
  std::vector<float> x = random_vector(static_cast<size_t>(M * K), rng);
  std::vector<float> full(static_cast<size_t>(M * N));
  {
    ThreadPool pool(2);
    KernelScratch scratch(pool.size(), K, 1);
    const MatmulOutput out{&w.view, full.data()};
    matmul(pool, scratch, x.data(), M, K, {&out, 1});
  }
  // Each row alone (M = 1 takes the direct path for F16/BF16), one thread, odd slices.
  std::vector<float> tile(static_cast<size_t>(kMatmulTileRows * K));
  for (int64_t m = 0; m < M; ++m) {
    std::vector<float> row(static_cast<size_t>(N), NAN);
    ref_matmul(x.data() + m * K, 1, K, w.view.data, w.view.dtype, 0, 3, row.data(), N, tile.data());
    ref_matmul(x.data() + m * K, 1, K, w.view.data, w.view.dtype, 3, N, row.data(), N, tile.data());
    for (int64_t n = 0; n < N; ++n) {
      ASSERT_EQ(row[n], full[m * N + n]) << "m=" << m << " n=" << n;
    }
  }
  // Three rows at a time with one thread (tiled path), another split of N.
  ThreadPool one(1);
  KernelScratch scratch(1, K, 1);
  std::vector<float> part(static_cast<size_t>(3 * N));
  const MatmulOutput out{&w.view, part.data()};
  matmul(one, scratch, x.data() + 6 * K, 3, K, {&out, 1});
  for (int64_t i = 0; i < 3 * N; ++i) ASSERT_EQ(part[i], full[6 * N + i]);
}

TEST_P(MatmulTest, SeveralOutputsShareOneDispatch) {
  std::mt19937 rng(3);
  const int64_t M = 4, K = 50;
  TestWeight a = make_weight(GetParam(), 7, K, rng), b = make_weight(GetParam(), 13, K, rng);
  std::vector<float> x = random_vector(static_cast<size_t>(M * K), rng);
  std::vector<float> ya(M * 7), yb(M * 13), ya1(M * 7), yb1(M * 13);
  ThreadPool pool(2);
  KernelScratch scratch(pool.size(), K, 1);
  const MatmulOutput both[] = {{&a.view, ya.data()}, {&b.view, yb.data()}};
  matmul(pool, scratch, x.data(), M, K, both);
  const MatmulOutput only_a{&a.view, ya1.data()}, only_b{&b.view, yb1.data()};
  matmul(pool, scratch, x.data(), M, K, {&only_a, 1});
  matmul(pool, scratch, x.data(), M, K, {&only_b, 1});
  EXPECT_EQ(ya, ya1);
  EXPECT_EQ(yb, yb1);
}

INSTANTIATE_TEST_SUITE_P(AllFloatTypes, MatmulTest,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(ToF32, WidensEveryHalfAndBf16Exactly) {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  std::vector<float> wide(65536);
  kernels().to_f32(all.data(), DType::F16, 65536, wide.data());
  for (uint32_t i = 0; i < 65536; ++i) {
    const float expect = f16_to_f32(static_cast<uint16_t>(i));
    if (std::isnan(expect)) {
      ASSERT_TRUE(std::isnan(wide[i])) << i;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(wide[i]), std::bit_cast<uint32_t>(expect)) << "f16 " << i;
    }
  }
  kernels().to_f32(all.data(), DType::BF16, 65536, wide.data());
  for (uint32_t i = 0; i < 65536; ++i) {
    const float expect = bf16_to_f32(static_cast<uint16_t>(i));
    if (!std::isnan(expect)) {
      ASSERT_EQ(wide[i], expect) << "bf16 " << i;
    }
  }
}

}  // namespace
}  // namespace qinfer
