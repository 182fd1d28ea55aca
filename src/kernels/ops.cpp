#include "kernels/ops.h"

#include <cassert>
#include <cmath>

#include "kernels/dispatch.h"

namespace qinfer {

KernelScratch::KernelScratch(int n_threads, int64_t max_reduce_len, int64_t max_keys)
    : max_reduce_len_(max_reduce_len),
      tile_floats_(kMatmulTileRows * max_reduce_len),
      max_keys_(max_keys),
      tiles_(static_cast<size_t>(n_threads * tile_floats_)),
      scores_(static_cast<size_t>(n_threads * max_keys)) {}

void matmul(ThreadPool& pool, KernelScratch& scratch, const float* x, int64_t M, int64_t K,
            std::span<const MatmulOutput> outputs) {
  assert(K <= scratch.max_reduce_len());
  int64_t total_rows = 0;
  for (const MatmulOutput& out : outputs) total_rows += out.weight->rows();
  const KernelTable& table = kernels();
  pool.run([&](int thread, int n_threads) {
    // Slice boundaries on whole tiles of W rows so no thread widens a partial tile needlessly.
    auto boundary = [&](int t) {
      if (t == n_threads) return total_rows;
      return total_rows * t / n_threads / kMatmulTileRows * kMatmulTileRows;
    };
    const int64_t begin = boundary(thread), end = boundary(thread + 1);
    int64_t offset = 0;  // first concatenated row of the current weight
    for (const MatmulOutput& out : outputs) {
      const int64_t N = out.weight->rows();
      const int64_t lo = begin > offset ? begin - offset : 0;
      const int64_t hi = end - offset < N ? end - offset : N;
      if (lo < hi) {
        table.matmul(x, M, K, out.weight->data, out.weight->dtype, lo, hi, out.y, N,
                     scratch.matmul_tile(thread));
      }
      offset += N;
    }
  });
}

void attention_causal_gqa(ThreadPool& pool, KernelScratch& scratch, const float* q, int64_t T,
                          int64_t first_position, const float* k, const float* v, int64_t Hq,
                          int64_t Hkv, int64_t D, float* out) {
  assert(first_position + T <= scratch.max_keys());
  const KernelTable& table = kernels();
  const int64_t group = Hq / Hkv;          // query heads per kv head
  const int64_t kv_stride = Hkv * D;       // floats between consecutive positions of one head
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const int64_t items = T * Hq;
  pool.run([&](int thread, int n_threads) {
    // Round-robin over (t, h): later queries see more keys, interleaving balances the threads.
    for (int64_t item = thread; item < items; item += n_threads) {
      const int64_t t = item / Hq, h = item % Hq;
      const int64_t kv_head = h / group;
      table.attention_head(q + item * D, k + kv_head * D, v + kv_head * D,
                           first_position + t + 1, kv_stride, D, scale,
                           scratch.attention_scores(thread), out + item * D);
    }
  });
}

}  // namespace qinfer
