// Single-thread time of one quantized matmul per activation-row count M = 1..10, per weight type:
// how much a decode step of M batched sequences costs against one sequence (the serving goal is
// that M rows cost little more than one, since the weights are read once). Two shapes: an FFN
// matrix that stays in cache (3072 x 1024) and a vocabulary-sized one streamed from memory
// (151936 x 1024, Qwen3-0.6B's lm_head); rows marked /p read the matrix packed at load
// (KernelTable::pack_rows) where the backend packs the type. Not built by CMake; build and run by hand:
//   ninja -C build qinfer_kernels
//   c++ -O2 -std=c++20 -Isrc bench/quant_matmul_bench.cpp build/libqinfer_kernels.a \
//       build/libqinfer_tensor.a build/libqinfer_base.a -lfmt -o /tmp/qmm_bench && /tmp/qmm_bench [KERNELS]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_act.h"
#include "tensor/dtype.h"
#include "tensor/quantize.h"

using namespace qinfer;

int main(int argc, char** argv) {
  const KernelTable* table = argc > 1 ? find_kernel_table(argv[1]) : &kernels();
  if (table == nullptr) return std::fprintf(stderr, "unknown kernel table\n"), 1;
  std::printf("kernels: %s\n", table->name);
  const int64_t K = 1024;
  constexpr int kMaxRows = 10;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(K));
  for (const DType dtype : {DType::Q4_K, DType::Q6_K, DType::Q8_0}) {
    for (const int64_t N : {int64_t{3072}, int64_t{151936}}) {
      const auto row_bytes = static_cast<int64_t>(*qinfer::row_bytes(dtype, K));
      std::vector<uint8_t> w(static_cast<size_t>(N * row_bytes));
      for (int64_t n = 0; n < N; ++n) {
        for (float& v : row) v = normal(rng);
        quantize_row(dtype, row.data(), K, w.data() + n * row_bytes);
      }
      const int64_t act_bytes = act_row_bytes(dtype, K);
      std::vector<uint8_t> xq(static_cast<size_t>(kMaxRows * act_bytes));
      for (int m = 0; m < kMaxRows; ++m) {
        for (float& v : row) v = normal(rng);
        table->quantize_act(row.data(), K, dtype, xq.data() + m * act_bytes);
      }
      std::vector<float> y(static_cast<size_t>(kMaxRows * N));
      std::vector<float> scratch(static_cast<size_t>(matmul_scratch_floats(K)));
      // The packed layout too (KernelTable::pack_rows), when this backend packs the type.
      const int64_t packed_size =
          table->packed_bytes != nullptr ? table->packed_bytes(dtype, N, K) : 0;
      std::vector<uint8_t> packed_storage(static_cast<size_t>(packed_size + 64));
      auto* packed = reinterpret_cast<uint8_t*>(
          (reinterpret_cast<uintptr_t>(packed_storage.data()) + 63) / 64 * 64);
      if (packed_size > 0) table->pack_rows(w.data(), dtype, K, 0, N, packed);
      const int reps = N > 100000 ? 5 : 200;
      for (const bool use_packed : {false, true}) {
        if (use_packed && packed_size == 0) continue;
        double base = 0;
        std::printf("%-5s%s N=%-7lld", dtype_name(dtype).data(), use_packed ? "/p" : "  ",
                    static_cast<long long>(N));
        for (int64_t M = 1; M <= kMaxRows; ++M) {
          double best = 1e30;
          for (int trial = 0; trial < 3; ++trial) {
            const auto t0 = std::chrono::steady_clock::now();
            for (int r = 0; r < reps; ++r) {
              if (use_packed) {
                table->matmul_packed(xq.data(), M, K, packed, dtype, 0, N, y.data(), N,
                                     scratch.data());
              } else {
                table->matmul_quant(xq.data(), M, K, w.data(), dtype, 0, N, y.data(), N,
                                    scratch.data());
              }
            }
            const double ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count() / reps;
            best = std::min(best, ms);
          }
          if (M == 1) base = best;
          std::printf("  M%lld %.3fms(%.2fx)", static_cast<long long>(M), best, best / base);
        }
        std::printf("\n");
      }
    }
  }
}
