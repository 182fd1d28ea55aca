// RMSNorm, RoPE, softmax, SiLU-mul and causal GQA attention vs straightforward double loops.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "kernels/rope_table.h"
#include "kernel_test_util.h"

namespace qinfer {
namespace {

// Relative closeness for f32 results of short f32 computations.
void expect_close(float actual, double expect, double rel, const char* what, int64_t at) {
  EXPECT_NEAR(actual, expect, rel * (std::fabs(expect) + 1e-6)) << what << " at " << at;
}

TEST(RmsNorm, MatchesDoubleLoopAndAllowsInPlace) {
  std::mt19937 rng(1);
  for (int64_t n : {1, 3, 16, 67, 1024}) {
    const int64_t rows = 3;
    std::vector<float> x = random_vector(static_cast<size_t>(rows * n), rng, 3.0f);
    std::vector<float> w = random_vector(static_cast<size_t>(n), rng);
    std::vector<float> y(x.size());
    kernels().rmsnorm(x.data(), w.data(), rows, n, 1e-6f, y.data());
    for (int64_t r = 0; r < rows; ++r) {
      double ss = 0.0;
      for (int64_t i = 0; i < n; ++i) ss += double(x[r * n + i]) * x[r * n + i];
      const double inv = 1.0 / std::sqrt(ss / n + 1e-6);
      for (int64_t i = 0; i < n; ++i) {
        expect_close(y[r * n + i], x[r * n + i] * inv * w[i], 1e-6, "rmsnorm", r * n + i);
      }
    }
    kernels().rmsnorm(x.data(), w.data(), rows, n, 1e-6f, x.data());
    EXPECT_EQ(x, y);
  }
}

TEST(Rope, RotatesHalvesByTableAngles) {
  std::mt19937 rng(2);
  const int64_t D = 18, heads = 3, positions = 700;
  const double theta = 1e6;
  RopeTable table = make_rope_table(theta, D, positions);
  for (int64_t pos : {0, 1, 5, 699}) {
    std::vector<float> x = random_vector(static_cast<size_t>(heads * D), rng);
    std::vector<float> rotated = x;
    kernels().rope_neox(rotated.data(), heads, D, table.cos_row(pos), table.sin_row(pos));
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t i = 0; i < D / 2; ++i) {
        const double angle = pos * std::pow(theta, -2.0 * i / D);
        const double a = x[h * D + i], b = x[h * D + i + D / 2];
        // The table's angle is an f32 product (as in transformers): |Δangle| <= pos * 2^-24.
        const double slack = 1e-6 + pos * 6e-8 * (std::fabs(a) + std::fabs(b));
        EXPECT_NEAR(rotated[h * D + i], a * std::cos(angle) - b * std::sin(angle), slack);
        EXPECT_NEAR(rotated[h * D + i + D / 2], b * std::cos(angle) + a * std::sin(angle), slack);
      }
    }
  }
  // Position 0 is the identity.
  std::vector<float> x = random_vector(static_cast<size_t>(D), rng), y = x;
  kernels().rope_neox(y.data(), 1, D, table.cos_row(0), table.sin_row(0));
  EXPECT_EQ(x, y);
}

TEST(Softmax, MatchesDoubleAndSurvivesLargeLogits) {
  std::mt19937 rng(3);
  for (int64_t n : {1, 2, 9, 300}) {
    std::vector<float> x = random_vector(static_cast<size_t>(n), rng, 20.0f);
    x[0] = 1e4f;  // would overflow exp without subtracting the max
    std::vector<float> p = x;
    kernels().softmax(p.data(), n);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(double(x[i]) - 1e4);
    for (int64_t i = 0; i < n; ++i) {
      expect_close(p[i], std::exp(double(x[i]) - 1e4) / sum, 1e-6, "softmax", i);
    }
  }
}

TEST(SiluMul, MatchesDouble) {
  std::mt19937 rng(4);
  const int64_t n = 1001;
  std::vector<float> gate = random_vector(n, rng, 4.0f), up = random_vector(n, rng);
  gate[0] = -100.0f;  // exp(100) is finite in f32 (overflow starts at 88.7 for exp(+x))
  gate[1] = 100.0f;
  std::vector<float> out(n);
  kernels().silu_mul(gate.data(), up.data(), n, out.data());
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    expect_close(out[i], g / (1.0 + std::exp(-g)) * up[i], 1e-6, "silu_mul", i);
  }
}

// Causal GQA over a cache, against a double loop, for several (T, first_position) splits.
TEST(Attention, CausalGqaMatchesDoubleLoop) {
  std::mt19937 rng(5);
  const int64_t Hq = 6, Hkv = 2, D = 12, total = 37;
  std::vector<float> k = random_vector(static_cast<size_t>(total * Hkv * D), rng);
  std::vector<float> v = random_vector(static_cast<size_t>(total * Hkv * D), rng);
  std::vector<float> q_all = random_vector(static_cast<size_t>(total * Hq * D), rng);
  ThreadPool pool(2);
  KernelScratch scratch(pool.size(), 1, total);
  for (int64_t first : {0, 1, 20, 36}) {
    const int64_t T = total - first;
    const float* q = q_all.data() + first * Hq * D;
    std::vector<float> out(static_cast<size_t>(T * Hq * D), NAN);
    attention_causal_gqa(pool, scratch, q, T, first, k.data(), v.data(), DType::F32, D, Hkv * D,
                         Hq, Hkv, D, out.data());
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t kvh = h / (Hq / Hkv), n_keys = first + t + 1;
        std::vector<double> score(static_cast<size_t>(n_keys));
        double max_score = -1e300, sum = 0.0;
        for (int64_t j = 0; j < n_keys; ++j) {
          double s = 0.0;
          for (int64_t d = 0; d < D; ++d) s += double(q[(t * Hq + h) * D + d]) * k[(j * Hkv + kvh) * D + d];
          score[j] = s / std::sqrt(double(D));
          max_score = std::max(max_score, score[j]);
        }
        for (double& s : score) sum += (s = std::exp(s - max_score));
        for (int64_t d = 0; d < D; ++d) {
          double o = 0.0;
          for (int64_t j = 0; j < n_keys; ++j) o += score[j] / sum * v[(j * Hkv + kvh) * D + d];
          EXPECT_NEAR(out[(t * Hq + h) * D + d], o, 2e-6) << "first=" << first << " t=" << t;
        }
      }
    }
    // Rows of a suffix equal the same rows computed as part of the full prompt.
    if (first > 0) {
      std::vector<float> full(static_cast<size_t>(total * Hq * D));
      attention_causal_gqa(pool, scratch, q_all.data(), total, 0, k.data(), v.data(), DType::F32,
                           D, Hkv * D, Hq, Hkv, D, full.data());
      for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], full[first * Hq * D + i]);
    }
  }
}

// An F16 cache: each kv head found at its byte offset (2 bytes an element), and the result the
// bits of the same attention over the widened values in an F32 cache, with 1 thread or 2. 12
// query heads over 2 kv heads: GQA groups of 6 (one chunk of kAttentionGroupHeads or less);
// 20 over 2: groups of 10 (two chunks).
TEST(Attention, CausalGqaOverF16CacheEqualsF32OverItsWidening) {
  std::mt19937 rng(6);
  for (int64_t Hq : {12, 20}) {
    const int64_t Hkv = 2, D = 20, total = 29;
    const size_t kv_elements = static_cast<size_t>(total * Hkv * D);
    const std::vector<float> k_raw = random_vector(kv_elements, rng);
    const std::vector<float> v_raw = random_vector(kv_elements, rng);
    std::vector<uint16_t> k16(kv_elements), v16(kv_elements);
    std::vector<float> k32(kv_elements), v32(kv_elements);
    for (size_t i = 0; i < kv_elements; ++i) {
      k16[i] = f32_to_f16(k_raw[i]);
      v16[i] = f32_to_f16(v_raw[i]);
      k32[i] = f16_to_f32(k16[i]);
      v32[i] = f16_to_f32(v16[i]);
    }
    const std::vector<float> q = random_vector(static_cast<size_t>(total * Hq * D), rng);
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      KernelScratch scratch(pool.size(), 1, total);
      for (int64_t first : {0, 5, 28}) {
        const int64_t T = total - first;
        const float* q_rows = q.data() + first * Hq * D;
        std::vector<float> expect(static_cast<size_t>(T * Hq * D), NAN), out = expect;
        attention_causal_gqa(pool, scratch, q_rows, T, first, k32.data(), v32.data(), DType::F32,
                             D, Hkv * D, Hq, Hkv, D, expect.data());
        attention_causal_gqa(pool, scratch, q_rows, T, first, k16.data(), v16.data(), DType::F16,
                             D, Hkv * D, Hq, Hkv, D, out.data());
        expect_bit_identical(expect, out, "Hq=" + std::to_string(Hq) + " threads=" +
                                              std::to_string(threads) + " first=" +
                                              std::to_string(first));
      }
    }
  }
}

}  // namespace
}  // namespace qinfer
