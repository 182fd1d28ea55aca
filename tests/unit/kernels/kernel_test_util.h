// Helpers shared by the kernel tests.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"

namespace qinfer {

// n values drawn from N(0, stddev^2) by `rng`.
inline std::vector<float> random_vector(size_t n, std::mt19937& rng, float stddev = 1.0f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (float& value : v) value = dist(rng);
  return v;
}


// y after table.matmul_quant over [n_begin, n_end) (ldy = N), with the thread's scratch.
inline std::vector<float> run_matmul_quant(const KernelTable& table, const std::vector<std::byte>& xq,
                                    int64_t M, int64_t K, const std::vector<std::byte>& w,
                                    DType dtype, int64_t N, int64_t n_begin, int64_t n_end,
                                    std::vector<float> y) {
  std::vector<float> scratch(static_cast<size_t>(matmul_scratch_floats(K)));
  table.matmul_quant(xq.data(), M, K, w.data(), dtype, n_begin, n_end, y.data(), N,
                     scratch.data());
  return y;
}

inline void expect_bit_identical(const std::vector<float>& expect, const std::vector<float>& actual,
                          const std::string& what) {
  ASSERT_EQ(expect.size(), actual.size());
  for (size_t i = 0; i < expect.size(); ++i) {
    ASSERT_EQ(std::memcmp(&expect[i], &actual[i], sizeof(float)), 0)
        << what << " at " << i << ": " << expect[i] << " vs " << actual[i];
  }
}

}  // namespace qinfer
