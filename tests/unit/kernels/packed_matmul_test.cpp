// Matrices a backend repacks at load (KernelTable::pack_rows) must give bit-identical results to
// the reference on the original blocks: every batch size the packed kernel splits differently,
// slices packed and read by different threads, and through the ops driver next to unpacked
// weights whose row counts knock the split off the group size.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/kernel_table.h"
#include "kernels/ops.h"
#include "kernels/quant_act.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/quant_blocks.h"
#include "tensor/quantize.h"
#include "kernel_test_util.h"

namespace qinfer {
namespace {

constexpr DType kQuantTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

// Quantized from random floats (real blocks: sane scales, every code used).
std::vector<std::byte> random_matrix(DType dtype, int64_t N, int64_t K, std::mt19937& rng) {
  const auto bytes = static_cast<int64_t>(*row_bytes(dtype, static_cast<uint64_t>(K)));
  std::vector<std::byte> w(static_cast<size_t>(N * bytes));
  for (int64_t n = 0; n < N; ++n) {
    const std::vector<float> row = random_vector(static_cast<size_t>(K), rng, n % 5 == 0 ? 30.0f : 1.0f);
    quantize_row(dtype, row.data(), K, w.data() + n * bytes);
  }
  return w;
}

// 64-byte aligned, as the model stores packed matrices.
struct PackedMatrix {
  std::vector<std::byte> storage;
  std::byte* data = nullptr;
};

PackedMatrix pack(const KernelTable& table, const std::vector<std::byte>& w, DType dtype, int64_t N,
                  int64_t K, int64_t split) {
  PackedMatrix packed;
  packed.storage.resize(static_cast<size_t>(table.packed_bytes(dtype, N, K) + 64));
  auto address = reinterpret_cast<uintptr_t>(packed.storage.data());
  packed.data = reinterpret_cast<std::byte*>((address + 63) / 64 * 64);
  for (int64_t n0 = 0; n0 < N; n0 += split) {
    table.pack_rows(w.data(), dtype, K, n0, std::min(N, n0 + split), packed.data);
  }
  return packed;
}

std::vector<std::byte> quantized_activations(int64_t M, int64_t K, DType dtype, std::mt19937& rng) {
  const int64_t bytes = act_row_bytes(dtype, K);
  std::vector<std::byte> xq(static_cast<size_t>(M * bytes));
  for (int64_t m = 0; m < M; ++m) {
    const std::vector<float> x = random_vector(static_cast<size_t>(K), rng, m % 2 ? 0.01f : 3.0f);
    ref_kernel_table().quantize_act(x.data(), K, dtype, xq.data() + m * bytes);
  }
  return xq;
}

TEST(PackedMatmul, EveryPackingBackendIsBitIdenticalToReference) {
  int packing_backends = 0;
  std::mt19937 rng(11);
  for (const KernelTable* table : available_kernel_tables()) {
    if (table->packed_bytes == nullptr) continue;
    ++packing_backends;
    for (DType dtype : kQuantTypes) {
      const int64_t K = 3 * 256, N = 48;
      if (table->packed_bytes(dtype, N, K) == 0) continue;
      EXPECT_EQ(table->packed_bytes(dtype, N + 1, K), 0) << "a partial group cannot be packed";
      const std::vector<std::byte> w = random_matrix(dtype, N, K, rng);
      const PackedMatrix packed = pack(*table, w, dtype, N, K, kPackedGroupRows);
      EXPECT_EQ(std::memcmp(packed.data, pack(*table, w, dtype, N, K, N).data,
                            static_cast<size_t>(table->packed_bytes(dtype, N, K))),
                0)
          << "packing in slices and whole differ";
      std::vector<float> scratch(static_cast<size_t>(matmul_scratch_floats(K)));
      for (int64_t M : {1, 2, 3, 4, 5, 7, 8, 9, 13, 24}) {
        const std::string what = std::string(table->name) + " " + std::string(dtype_name(dtype)) +
                                 " M=" + std::to_string(M);
        const std::vector<std::byte> xq = quantized_activations(M, K, dtype, rng);
        const std::vector<float> nan(static_cast<size_t>(M * N), NAN);
        const std::vector<float> expect =
            run_matmul_quant(ref_kernel_table(), xq, M, K, w, dtype, N, 0, N, nan);
        std::vector<float> got = nan;
        table->matmul_packed(xq.data(), M, K, packed.data, dtype, 0, N, got.data(), N,
                             scratch.data());
        expect_bit_identical(expect, got, what);
        // A slice of whole groups writes exactly its columns.
        std::vector<float> sliced = nan;
        table->matmul_packed(xq.data(), M, K, packed.data, dtype, 16, 32, sliced.data(), N,
                             scratch.data());
        for (int64_t m = 0; m < M; ++m) {
          for (int64_t n = 0; n < N; ++n) {
            const float value = sliced[static_cast<size_t>(m * N + n)];
            if (n < 16 || n >= 32) {
              ASSERT_TRUE(std::isnan(value)) << what << " wrote outside its slice at n=" << n;
            } else {
              ASSERT_EQ(value, expect[static_cast<size_t>(m * N + n)]) << what << " n=" << n;
            }
          }
        }
      }
    }
  }
  if (packing_backends == 0) GTEST_SKIP() << "no kernel backend on this CPU packs matrices";
}

// The x86 backends share their K-quant group layouts (x86/packed_groups.h) but pack them with
// different code (avx512 through its prefill tiles, avx2 with portable word shuffles): the bytes
// must agree. Runs where the CPU has both.
TEST(PackedMatmul, X86BackendsPackTheSameKQuantGroups) {
  const KernelTable* avx2 = find_kernel_table("avx2");
  const KernelTable* avx512 = find_kernel_table("avx512");
  if (avx2 == nullptr || avx512 == nullptr) GTEST_SKIP() << "needs the avx2 and avx512 backends";
  std::mt19937 rng(13);
  for (DType dtype : {DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const int64_t K = 2 * 256, N = 32;
    const int64_t bytes = avx2->packed_bytes(dtype, N, K);
    ASSERT_GT(bytes, 0) << dtype_name(dtype);
    ASSERT_EQ(avx512->packed_bytes(dtype, N, K), bytes) << dtype_name(dtype);
    const std::vector<std::byte> w = random_matrix(dtype, N, K, rng);
    const PackedMatrix by_avx2 = pack(*avx2, w, dtype, N, K, N);
    const PackedMatrix by_avx512 = pack(*avx512, w, dtype, N, K, N);
    EXPECT_EQ(std::memcmp(by_avx2.data, by_avx512.data, static_cast<size_t>(bytes)), 0)
        << dtype_name(dtype);
  }
}

// Through ops::matmul with 1 and 2 threads, a packed Q4_K matrix after a 37-row unpacked one (so
// one thread's slice of the packed matrix starts off a group boundary) equals the unpacked run.
TEST(PackedMatmul, OpsDriverMixesPackedAndUnpackedWeights) {
  const KernelTable& table = kernels();
  if (table.packed_bytes == nullptr || table.packed_bytes(DType::Q4_K, 64, 512) == 0) {
    GTEST_SKIP() << "the running backend (" << table.name << ") does not pack Q4_K";
  }
  std::mt19937 rng(12);
  const int64_t K = 512;
  const std::vector<std::byte> odd = random_matrix(DType::Q6_K, 37, K, rng);
  const std::vector<std::byte> w = random_matrix(DType::Q4_K, 64, K, rng);
  const PackedMatrix packed = pack(table, w, DType::Q4_K, 64, K, 64);
  const TensorView odd_view{.dtype = DType::Q6_K, .shape = {37, K}, .data = odd.data(),
                            .nbytes = odd.size()};
  const TensorView plain{.dtype = DType::Q4_K, .shape = {64, K}, .data = w.data(),
                         .nbytes = w.size()};
  TensorView with_packed = plain;
  with_packed.packed = packed.data;
  for (int64_t M : {1, 3, 6, 20}) {
    const std::vector<float> x = random_vector(static_cast<size_t>(M * K), rng);
    auto run = [&](int threads, const TensorView& view) {
      ThreadPool pool(threads);
      KernelScratch scratch(pool.size(), K, 1, M);
      std::vector<float> y_odd(static_cast<size_t>(M * 37)), y(static_cast<size_t>(M * 64));
      const MatmulOutput outputs[] = {{&odd_view, y_odd.data()}, {&view, y.data()}};
      matmul(pool, scratch, x.data(), M, K, outputs);
      return y;
    };
    const std::vector<float> expect = run(1, plain);
    EXPECT_EQ(run(1, with_packed), expect) << "M=" << M;
    EXPECT_EQ(run(2, with_packed), expect) << "M=" << M;
  }
}

}  // namespace
}  // namespace qinfer
