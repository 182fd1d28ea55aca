// Quantized matmul: every backend's activation quantization and integer/float arithmetic must be
// bit-identical to the reference (kernels/quant_act.h), on random valid blocks, tails of N, any M
// and odd slices; the reference itself must agree with a double-precision dot of the dequantized
// weights and activations (tensor/quantize.h, ggml's dequantization).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/quant_blocks.h"
#include "tensor/quantize.h"
#include "kernel_test_util.h"

namespace qinfer {
namespace {

constexpr DType kQuantTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

int64_t block_elements(DType dtype) { return dtype_info(dtype).block_elements; }

// An f16 scale in [2^-12, 2^-4), random mantissa: normal, never inf/NaN.
uint16_t random_scale(std::mt19937& rng) {
  const uint16_t exponent = static_cast<uint16_t>(3 + rng() % 8);  // biased 3..10
  return static_cast<uint16_t>((exponent << 10) | (rng() & 0x3ff));
}

// N rows of K elements of random blocks: random bytes everywhere, then sane f16 scale fields.
std::vector<std::byte> random_weights(DType dtype, int64_t N, int64_t K, std::mt19937& rng) {
  const int64_t blocks = N * K / block_elements(dtype);
  std::vector<std::byte> bytes(static_cast<size_t>(blocks * dtype_info(dtype).block_bytes));
  for (std::byte& b : bytes) b = static_cast<std::byte>(rng() & 0xff);
  for (int64_t b = 0; b < blocks; ++b) {
    void* block = bytes.data() + b * dtype_info(dtype).block_bytes;
    switch (dtype) {
      case DType::Q8_0: static_cast<BlockQ8_0*>(block)->d = random_scale(rng); break;
      case DType::Q4_0: static_cast<BlockQ4_0*>(block)->d = random_scale(rng); break;
      case DType::Q4_K:
        static_cast<BlockQ4_K*>(block)->d = random_scale(rng);
        static_cast<BlockQ4_K*>(block)->dmin = random_scale(rng);
        break;
      case DType::Q5_K:
        static_cast<BlockQ5_K*>(block)->d = random_scale(rng);
        static_cast<BlockQ5_K*>(block)->dmin = random_scale(rng);
        break;
      case DType::Q6_K: static_cast<BlockQ6_K*>(block)->d = random_scale(rng); break;
      default: ADD_FAILURE() << "not a quantized type";
    }
  }
  return bytes;
}

// Activation rows with the awkward cases in them: an all-zero block, a block of one spike, tiny
// and huge magnitudes, exact half steps of the rounding.
std::vector<float> awkward_activations(int64_t M, int64_t K, std::mt19937& rng) {
  std::vector<float> x = random_vector(static_cast<size_t>(M * K), rng);
  for (int64_t m = 0; m < M; ++m) {
    float* row = x.data() + m * K;
    const float scale = m % 3 == 0 ? 1e-6f : (m % 3 == 1 ? 1.0f : 3e4f);
    for (int64_t k = 0; k < K; ++k) row[k] *= scale;
    if (m == 1) {
      for (int64_t k = 0; k < 32; ++k) row[k] = 0.0f;
    }
    if (m == 2 && K >= 64) {
      for (int64_t k = 32; k < 64; ++k) row[k] = 0.0f;
      row[40] = -5.0f;
    }
    if (m == 3) {
      // amax 127 makes id exactly 1, so k + 0.5 are ties that must round to even.
      for (int64_t k = 0; k < 32; ++k) row[k] = k == 0 ? 127.0f : static_cast<float>(k % 20) - 9.5f;
    }
  }
  return x;
}

std::vector<std::byte> quantize_rows(const KernelTable& table, const std::vector<float>& x,
                                     int64_t M, int64_t K, DType dtype) {
  const int64_t row_bytes = act_row_bytes(dtype, K);
  std::vector<std::byte> xq(static_cast<size_t>(M * row_bytes), std::byte{0xcd});
  for (int64_t m = 0; m < M; ++m) {
    table.quantize_act(x.data() + m * K, K, dtype, xq.data() + m * row_bytes);
  }
  return xq;
}

TEST(QuantizeAct, ReferenceFollowsTheRule) {
  std::mt19937 rng(1);
  const int64_t M = 4, K = 512;
  const std::vector<float> x = awkward_activations(M, K, rng);
  for (DType dtype : {DType::Q8_0, DType::Q4_K}) {
    const std::vector<std::byte> xq = quantize_rows(ref_kernel_table(), x, M, K, dtype);
    const int64_t n = block_elements(dtype == DType::Q8_0 ? DType::Q8_0 : DType::Q4_K);
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t b = 0; b < K / n; ++b) {
        const float* xb = x.data() + m * K + b * n;
        float d;
        const int8_t* q;
        const std::byte* block = xq.data() + m * act_row_bytes(dtype, K);
        if (dtype == DType::Q8_0) {
          const auto* a = reinterpret_cast<const ActQ8_32*>(block) + b;
          d = a->d;
          q = a->qs;
          int32_t sum = 0;
          for (int i = 0; i < 32; ++i) sum += q[i];
          EXPECT_EQ(a->sum, sum);
        } else {
          const auto* a = reinterpret_cast<const BlockQ8_K*>(block) + b;
          d = a->d;
          q = a->qs;
          for (int j = 0; j < 16; ++j) {
            int32_t sum = 0;
            for (int i = 0; i < 16; ++i) sum += q[16 * j + i];
            EXPECT_EQ(a->bsums[j], sum);
          }
        }
        float amax = 0.0f;
        for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(xb[i]));
        EXPECT_EQ(d, amax / 127.0f);
        for (int64_t i = 0; i < n; ++i) {
          EXPECT_LE(std::fabs(xb[i] - d * q[i]), 0.5001 * d + 1e-30) << m << " " << b << " " << i;
        }
        if (m == 3 && b == 0 && dtype == DType::Q8_0) {
          EXPECT_EQ(q[1], -8);   // -8.5 rounds to even
          EXPECT_EQ(q[2], -8);   // -7.5
          EXPECT_EQ(q[11], 2);   // 1.5 -> 2
          EXPECT_EQ(q[12], 2);   // 2.5 -> 2
        }
      }
    }
  }
}

TEST(QuantizeAct, EveryBackendIsBitIdenticalToReference) {
  std::mt19937 rng(2);
  const int64_t M = 6, K = 768;
  const std::vector<float> x = awkward_activations(M, K, rng);
  for (const KernelTable* table : available_kernel_tables()) {
    for (DType dtype : kQuantTypes) {
      const std::vector<std::byte> expect = quantize_rows(ref_kernel_table(), x, M, K, dtype);
      const std::vector<std::byte> actual = quantize_rows(*table, x, M, K, dtype);
      EXPECT_EQ(std::memcmp(expect.data(), actual.data(), expect.size()), 0)
          << table->name << " " << dtype_name(dtype);
    }
  }
}

TEST(MatmulQuant, EveryBackendIsBitIdenticalToReference) {
  std::mt19937 rng(3);
  const int64_t N = 37;  // not a multiple of 4, 8 or 16
  for (DType dtype : kQuantTypes) {
    const int64_t QK = block_elements(dtype);
    for (int64_t blocks : {1, 2, 3, QK == 32 ? 9 : 1}) {
      const int64_t K = blocks * QK;
      const std::vector<std::byte> w = random_weights(dtype, N, K, rng);
      for (int64_t M : {1, 2, 3, 4, 5, 6, 7, 8, 9, 17}) {
        const std::vector<float> x = awkward_activations(M, K, rng);
        const std::vector<std::byte> xq = quantize_rows(ref_kernel_table(), x, M, K, dtype);
        const std::vector<float> nan(static_cast<size_t>(M * N), NAN);
        const std::vector<float> expect =
            run_matmul_quant(ref_kernel_table(), xq, M, K, w, dtype, N, 0, N, nan);
        for (const KernelTable* table : available_kernel_tables()) {
          const std::string what = std::string(table->name) + " " +
                                   std::string(dtype_name(dtype)) + " K=" + std::to_string(K) +
                                   " M=" + std::to_string(M);
          expect_bit_identical(expect, run_matmul_quant(*table, xq, M, K, w, dtype, N, 0, N, nan),
                               what);
          // Odd slices: the untouched columns must stay NaN, the others equal.
          std::vector<float> sliced = run_matmul_quant(*table, xq, M, K, w, dtype, N, 3, 20, nan);
          sliced = run_matmul_quant(*table, xq, M, K, w, dtype, N, 21, 36, sliced);
          for (int64_t m = 0; m < M; ++m) {
            for (int64_t n = 0; n < N; ++n) {
              const float value = sliced[static_cast<size_t>(m * N + n)];
              if (n < 3 || n == 20 || n == 36) {
                ASSERT_TRUE(std::isnan(value)) << what << " wrote outside its slice at n=" << n;
              } else {
                ASSERT_EQ(value, expect[static_cast<size_t>(m * N + n)])
                    << what << " sliced n=" << n;
              }
            }
          }
        }
      }
    }
  }
}

// Batched decode and prefill shapes (M >= 4 takes repacked-tile paths on x86): M in steps
// through the register-tile remainders and past 64, an odd number of 32-element blocks (tiles
// repack them two at a time), N tails and a slice starting mid-tile.
TEST(MatmulQuant, TiledShapesAreBitIdenticalToReference) {
  std::mt19937 rng(8);
  const int64_t N = 37;
  for (DType dtype : kQuantTypes) {
    const int64_t QK = block_elements(dtype);
    const int64_t K = (QK == 32 ? 7 : 5) * QK;
    const std::vector<std::byte> w = random_weights(dtype, N, K, rng);
    for (int64_t M : {4, 6, 8, 10, 11, 12, 13, 15, 16, 23, 70}) {
      const std::vector<float> x = awkward_activations(M, K, rng);
      const std::vector<std::byte> xq = quantize_rows(ref_kernel_table(), x, M, K, dtype);
      const std::vector<float> nan(static_cast<size_t>(M * N), NAN);
      const std::vector<float> expect =
          run_matmul_quant(ref_kernel_table(), xq, M, K, w, dtype, N, 0, N, nan);
      for (const KernelTable* table : available_kernel_tables()) {
        const std::string what = std::string(table->name) + " " + std::string(dtype_name(dtype)) +
                                 " M=" + std::to_string(M);
        expect_bit_identical(expect, run_matmul_quant(*table, xq, M, K, w, dtype, N, 0, N, nan),
                             what);
        std::vector<float> sliced = run_matmul_quant(*table, xq, M, K, w, dtype, N, 5, 37, nan);
        for (int64_t m = 0; m < M; ++m) {
          for (int64_t n = 0; n < N; ++n) {
            const float value = sliced[static_cast<size_t>(m * N + n)];
            if (n < 5) {
              ASSERT_TRUE(std::isnan(value)) << what << " wrote outside its slice at n=" << n;
            } else {
              ASSERT_EQ(value, expect[static_cast<size_t>(m * N + n)]) << what << " n=" << n;
            }
          }
        }
      }
    }
  }
}

// The activation as the kernels see it: d * q per element.
std::vector<double> dequantized_activation(const std::byte* xq, int64_t K, DType dtype) {
  std::vector<double> out(static_cast<size_t>(K));
  if (dtype == DType::Q8_0 || dtype == DType::Q4_0) {
    const auto* blocks = reinterpret_cast<const ActQ8_32*>(xq);
    for (int64_t k = 0; k < K; ++k) out[k] = double(blocks[k / 32].d) * blocks[k / 32].qs[k % 32];
  } else {
    const auto* blocks = reinterpret_cast<const BlockQ8_K*>(xq);
    for (int64_t k = 0; k < K; ++k) {
      out[k] = double(blocks[k / 256].d) * blocks[k / 256].qs[k % 256];
    }
  }
  return out;
}

TEST(MatmulQuant, ReferenceEqualsDotOfDequantizedValues) {
  std::mt19937 rng(4);
  const int64_t N = 11, M = 3;
  for (DType dtype : kQuantTypes) {
    const int64_t K = 3 * block_elements(dtype);
    const std::vector<std::byte> w = random_weights(dtype, N, K, rng);
    const std::vector<float> x = random_vector(static_cast<size_t>(M * K), rng);
    const std::vector<std::byte> xq = quantize_rows(ref_kernel_table(), x, M, K, dtype);
    const std::vector<float> y = run_matmul_quant(ref_kernel_table(), xq, M, K, w, dtype, N, 0, N,
                                                  std::vector<float>(static_cast<size_t>(M * N)));
    const int64_t w_row_bytes = static_cast<int64_t>(*row_bytes(dtype, static_cast<uint64_t>(K)));
    std::vector<float> w_row(static_cast<size_t>(K));
    for (int64_t n = 0; n < N; ++n) {
      dequantize_row(dtype, w.data() + n * w_row_bytes, K, w_row.data());
      for (int64_t m = 0; m < M; ++m) {
        const std::vector<double> xd =
            dequantized_activation(xq.data() + m * act_row_bytes(dtype, K), K, dtype);
        double expect = 0.0, magnitude = 0.0;
        for (int64_t k = 0; k < K; ++k) {
          expect += xd[k] * w_row[k];
          magnitude += std::fabs(xd[k] * w_row[k]);
        }
        // Rounding of the per-block float steps and of ggml's dequantization (d * scale in f32).
        EXPECT_NEAR(y[m * N + n], expect, 1e-5 * magnitude + 1e-30)
            << dtype_name(dtype) << " m=" << m << " n=" << n;
      }
    }
  }
}

// The threaded driver: quantized and float weights in one call, thread count and M-independence.
TEST(MatmulQuant, OpsDriverIsDeterministicAndMatchesReference) {
  std::mt19937 rng(5);
  const int64_t K = 512, M = 6;
  const int64_t sizes[] = {45, 29, 64, 17, 33};
  std::vector<std::vector<std::byte>> storage;
  std::vector<TensorView> views;
  for (size_t i = 0; i < std::size(kQuantTypes); ++i) {
    storage.push_back(random_weights(kQuantTypes[i], sizes[i], K, rng));
    TensorView view;
    view.dtype = kQuantTypes[i];
    view.shape = {sizes[i], K};
    view.data = storage.back().data();
    view.nbytes = storage.back().size();
    views.push_back(view);
  }
  const std::vector<float> x = awkward_activations(M, K, rng);
  auto run = [&](int threads, int64_t first_row, int64_t rows) {
    ThreadPool pool(threads);
    KernelScratch scratch(pool.size(), K, 1, rows);
    std::vector<std::vector<float>> ys;
    std::vector<MatmulOutput> outputs;
    for (const TensorView& view : views) ys.emplace_back(static_cast<size_t>(rows * view.rows()));
    for (size_t i = 0; i < views.size(); ++i) outputs.push_back({&views[i], ys[i].data()});
    matmul(pool, scratch, x.data() + first_row * K, rows, K, outputs);
    return ys;
  };
  const auto full = run(2, 0, M);
  EXPECT_EQ(run(1, 0, M), full);
  for (int64_t m = 0; m < M; ++m) {
    const auto one = run(2, m, 1);
    for (size_t i = 0; i < views.size(); ++i) {
      const int64_t N = views[i].rows();
      const std::vector<float> row(full[i].begin() + m * N, full[i].begin() + (m + 1) * N);
      EXPECT_EQ(one[i], row) << dtype_name(views[i].dtype) << " m=" << m;
    }
  }
  for (size_t i = 0; i < views.size(); ++i) {
    const int64_t N = views[i].rows();
    const std::vector<std::byte> xq = quantize_rows(ref_kernel_table(), x, M, K, views[i].dtype);
    expect_bit_identical(run_matmul_quant(ref_kernel_table(), xq, M, K, storage[i],
                                          views[i].dtype, N, 0, N,
                                          std::vector<float>(static_cast<size_t>(M * N))),
                         full[i], std::string("ops ") + std::string(dtype_name(views[i].dtype)));
  }
}

TEST(MatmulQuantDeathTest, MoreRowsThanTheScratchHoldsStopTheProcess) {
  std::mt19937 rng(7);
  const int64_t K = 64, N = 8;
  const std::vector<std::byte> w = random_weights(DType::Q8_0, N, K, rng);
  const TensorView view{DType::Q8_0, {N, K}, w.data(), w.size()};
  const std::vector<float> x = random_vector(static_cast<size_t>(3 * K), rng);
  std::vector<float> y(static_cast<size_t>(3 * N));
  auto three_rows_with_scratch_for_two = [&] {
    ThreadPool pool(1);
    KernelScratch scratch(1, K, 1, /*max_rows=*/2);
    const MatmulOutput out{&view, y.data()};
    matmul(pool, scratch, x.data(), 3, K, std::span<const MatmulOutput>(&out, 1));
  };
  EXPECT_DEATH(three_rows_with_scratch_for_two(), "exceeds the kernel scratch");
}

TEST(ToF32, QuantizedRowsAreDequantized) {
  std::mt19937 rng(6);
  for (DType dtype : kQuantTypes) {
    const int64_t K = 2 * block_elements(dtype);
    const std::vector<std::byte> w = random_weights(dtype, 1, K, rng);
    std::vector<float> expect(static_cast<size_t>(K)), actual(static_cast<size_t>(K));
    dequantize_row(dtype, w.data(), K, expect.data());
    for (const KernelTable* table : available_kernel_tables()) {
      table->to_f32(w.data(), dtype, K, actual.data());
      EXPECT_EQ(actual, expect) << table->name << " " << dtype_name(dtype);
    }
  }
}

}  // namespace
}  // namespace qinfer
