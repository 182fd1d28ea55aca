// Every backend's float kernels against the reference: within 1e-5 relative (the contract in
// kernel_table.h), and each backend's matmul deterministic in M and slices. The x86 backends keep
// the reference's reduction order exactly in matmul and attention, so there the match is bit for
// bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/dtype.h"
#include "kernel_test_util.h"

namespace qinfer {
namespace {

// W [N, K] in dtype as raw bytes, plus its exact values.
std::vector<std::byte> random_float_weights(DType dtype, int64_t N, int64_t K, std::mt19937& rng,
                                            std::vector<float>* exact) {
  *exact = random_vector(static_cast<size_t>(N * K), rng);
  std::vector<std::byte> bytes(exact->size() * (dtype == DType::F32 ? 4 : 2));
  for (size_t i = 0; i < exact->size(); ++i) {
    if (dtype == DType::F32) {
      std::memcpy(bytes.data() + 4 * i, &(*exact)[i], 4);
    } else {
      const uint16_t h = dtype == DType::BF16 ? f32_to_bf16((*exact)[i]) : f32_to_f16((*exact)[i]);
      (*exact)[i] = dtype == DType::BF16 ? bf16_to_f32(h) : f16_to_f32(h);
      std::memcpy(bytes.data() + 2 * i, &h, 2);
    }
  }
  return bytes;
}

bool exact_backend(const KernelTable& table) {
  return std::string(table.name) == "avx2" || std::string(table.name) == "avx512";
}

void expect_close_to_ref(const KernelTable& table, float actual, float expect, double magnitude,
                         const std::string& what) {
  if (exact_backend(table)) {
    ASSERT_EQ(actual, expect) << table.name << " " << what;
  } else {
    ASSERT_NEAR(actual, expect, 1e-5 * magnitude + 1e-30) << table.name << " " << what;
  }
}

TEST(FloatBackends, MatmulMatchesReferenceAndIsDeterministic) {
  std::mt19937 rng(21);
  const int64_t shapes[][3] = {{1, 7, 5}, {3, 37, 13}, {9, 64, 37}, {4, 203, 29}, {17, 40, 9}};
  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    for (const auto& shape : shapes) {
      const int64_t M = shape[0], K = shape[1], N = shape[2];
      std::vector<float> exact;
      const std::vector<std::byte> w = random_float_weights(dtype, N, K, rng, &exact);
      const std::vector<float> x = random_vector(static_cast<size_t>(M * K), rng);
      std::vector<float> tile(static_cast<size_t>(kMatmulTileRows * K));
      std::vector<float> expect(static_cast<size_t>(M * N));
      ref_matmul(x.data(), M, K, w.data(), dtype, 0, N, expect.data(), N, tile.data());
      for (const KernelTable* table : available_kernel_tables()) {
        const std::string what = std::string(dtype_name(dtype)) + " M=" + std::to_string(M) +
                                 " K=" + std::to_string(K) + " N=" + std::to_string(N);
        std::vector<float> full(static_cast<size_t>(M * N), NAN);
        table->matmul(x.data(), M, K, w.data(), dtype, 0, N, full.data(), N, tile.data());
        for (int64_t m = 0; m < M; ++m) {
          for (int64_t n = 0; n < N; ++n) {
            double magnitude = 0.0;
            for (int64_t k = 0; k < K; ++k) {
              magnitude += std::fabs(double(x[m * K + k]) * exact[n * K + k]);
            }
            expect_close_to_ref(*table, full[m * N + n], expect[m * N + n], magnitude, what);
          }
        }
        // One row at a time, in two odd slices: the same bits as the full call.
        for (int64_t m = 0; m < M; ++m) {
          std::vector<float> row(static_cast<size_t>(N), NAN);
          const int64_t cut = N / 3 + 1;
          const float* x_row = x.data() + m * K;
          table->matmul(x_row, 1, K, w.data(), dtype, 0, cut, row.data(), N, tile.data());
          table->matmul(x_row, 1, K, w.data(), dtype, cut, N, row.data(), N, tile.data());
          for (int64_t n = 0; n < N; ++n) {
            ASSERT_EQ(row[n], full[m * N + n]) << table->name << " " << what << " m=" << m;
          }
        }
      }
    }
  }
}

void expect_all_close(const KernelTable& table, const std::vector<float>& actual,
                      const std::vector<float>& expect, const char* what) {
  ASSERT_EQ(actual.size(), expect.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expect[i], 1e-5 * (std::fabs(expect[i]) + 1e-6))
        << table.name << " " << what << " at " << i;
  }
}

TEST(FloatBackends, ElementwiseKernelsMatchReference) {
  std::mt19937 rng(22);
  const KernelTable& ref = ref_kernel_table();
  for (const KernelTable* table : available_kernel_tables()) {
    for (int64_t n : {1, 7, 64, 131}) {
      const int64_t rows = 3;
      const std::vector<float> x = random_vector(static_cast<size_t>(rows * n), rng, 3.0f);
      const std::vector<float> weight = random_vector(static_cast<size_t>(n), rng);
      std::vector<float> a(x.size()), b(x.size());
      ref.rmsnorm(x.data(), weight.data(), rows, n, 1e-6f, a.data());
      table->rmsnorm(x.data(), weight.data(), rows, n, 1e-6f, b.data());
      expect_all_close(*table, b, a, "rmsnorm");

      a = x, b = x;
      ref.softmax(a.data(), n);
      table->softmax(b.data(), n);
      expect_all_close(*table, b, a, "softmax");

      const std::vector<float> up = random_vector(static_cast<size_t>(n), rng);
      std::vector<float> sa(static_cast<size_t>(n)), sb(static_cast<size_t>(n));
      ref.silu_mul(x.data(), up.data(), n, sa.data());
      table->silu_mul(x.data(), up.data(), n, sb.data());
      expect_all_close(*table, sb, sa, "silu_mul");
    }
    for (int64_t head_dim : {2, 16, 64, 72, 128}) {
      const int64_t heads = 3, kv_stride = 2 * head_dim;
      const std::vector<float> cos = random_vector(static_cast<size_t>(head_dim / 2), rng);
      const std::vector<float> sin = random_vector(static_cast<size_t>(head_dim / 2), rng);
      std::vector<float> a = random_vector(static_cast<size_t>(heads * head_dim), rng), b = a;
      ref.rope_neox(a.data(), heads, head_dim, cos.data(), sin.data());
      table->rope_neox(b.data(), heads, head_dim, cos.data(), sin.data());
      expect_all_close(*table, b, a, "rope_neox");

      // 13, and past one and two of the value pass's key blocks.
      for (int64_t n_keys : {13, 33, 71}) {
        const std::vector<float> q = random_vector(static_cast<size_t>(head_dim), rng);
        const std::vector<float> k = random_vector(static_cast<size_t>(n_keys * kv_stride), rng);
        const std::vector<float> v = random_vector(static_cast<size_t>(n_keys * kv_stride), rng);
        std::vector<float> scores(static_cast<size_t>(n_keys));
        std::vector<float> oa(static_cast<size_t>(head_dim)), ob(static_cast<size_t>(head_dim));
        const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
        ref.attention_head(q.data(), k.data(), v.data(), DType::F32, n_keys, kv_stride, head_dim,
                           scale, scores.data(), oa.data());
        table->attention_head(q.data(), k.data(), v.data(), DType::F32, n_keys, kv_stride,
                              head_dim, scale, scores.data(), ob.data());
        // Outputs are weighted sums of N(0,1) values: compare against their typical size.
        for (int64_t d = 0; d < head_dim; ++d) {
          if (exact_backend(*table)) {
            ASSERT_EQ(ob[d], oa[d]) << table->name << " attention";
          } else {
            ASSERT_NEAR(ob[d], oa[d], 1e-5 * (std::fabs(oa[d]) + 1.0))
                << table->name << " attention, " << n_keys << " keys";
          }
        }
      }
    }
  }
}

// A GQA group of query heads sharing one kv head (strided, in the middle of three heads): each
// query's output has the bits of attention_head on it. Groups of 1..8 (the driver's chunks,
// ops.h kAttentionGroupHeads) and past 8; key counts that leave tails of every key step and
// span value blocks; head dims with and without an 8-lane tail.
TEST(FloatBackends, AttentionHeadsEqualAttentionHeadPerQuery) {
  std::mt19937 rng(24);
  for (const KernelTable* table : available_kernel_tables()) {
    if (table->attention_heads == nullptr) continue;
    for (int64_t head_dim : {3, 8, 13, 64, 72, 128}) {
      for (int64_t n_keys : {1, 2, 5, 13, 33, 71}) {
        const int64_t kv_stride = 3 * head_dim, column = head_dim;
        const std::vector<float> k = random_vector(static_cast<size_t>(n_keys * kv_stride), rng);
        const std::vector<float> v = random_vector(static_cast<size_t>(n_keys * kv_stride), rng);
        const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
        for (int64_t n_q : {1, 2, 3, 4, 5, 6, 7, 8, 11}) {
          const std::vector<float> q = random_vector(static_cast<size_t>(n_q * head_dim), rng);
          std::vector<float> scores(static_cast<size_t>(n_q * n_keys));
          std::vector<float> group(static_cast<size_t>(n_q * head_dim), NAN);
          table->attention_heads(q.data(), n_q, k.data() + column, v.data() + column, DType::F32,
                                 n_keys, kv_stride, head_dim, scale, scores.data(), group.data());
          for (int64_t i = 0; i < n_q; ++i) {
            std::vector<float> one(static_cast<size_t>(head_dim), NAN);
            table->attention_head(q.data() + i * head_dim, k.data() + column, v.data() + column,
                                  DType::F32, n_keys, kv_stride, head_dim, scale, scores.data(),
                                  one.data());
            expect_bit_identical(one, std::vector<float>(group.begin() + i * head_dim,
                                                         group.begin() + (i + 1) * head_dim),
                                 std::string(table->name) + " D=" + std::to_string(head_dim) +
                                     " keys=" + std::to_string(n_keys) + " n_q=" +
                                     std::to_string(n_q) + " head " + std::to_string(i));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace qinfer
