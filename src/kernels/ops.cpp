#include "kernels/ops.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "kernels/dispatch.h"
#include "kernels/quant_act.h"
#include "tensor/quantize.h"

namespace qinfer {

namespace {

// Activation rows from this many up are quantized by all threads; fewer are not worth a wake-up.
constexpr int64_t kParallelQuantizeRows = 4;

// Quantized weights are split between threads on multiples of this many rows: a whole number of
// tiles for every backend's kernels (4, 8 or 16 rows per step).
constexpr int64_t kQuantSplitRows = 16;
static_assert(kQuantSplitRows == kPackedGroupRows);

bool uses_q8_32_act(DType dtype) { return dtype == DType::Q8_0 || dtype == DType::Q4_0; }

// Quantizes the M rows of x into scratch once for each activation format the weights need
// (the format depends only on the weight family, so Q8_0 and Q4_K stand for their families).
void quantize_rows(ThreadPool& pool, KernelScratch& scratch, const KernelTable& table,
                   const float* x, int64_t M, int64_t K, std::span<const MatmulOutput> outputs) {
  bool need_32 = false, need_k = false;
  for (const MatmulOutput& out : outputs) {
    const DType dtype = out.weight->dtype;
    if (!is_quantized(dtype)) continue;
    (uses_q8_32_act(dtype) ? need_32 : need_k) = true;
  }
  const DType formats[2] = {DType::Q8_0, DType::Q4_K};
  const bool needed[2] = {need_32, need_k};
  for (int f = 0; f < 2; ++f) {
    if (!needed[f]) continue;
    const DType dtype = formats[f];
    const int64_t row_bytes = act_row_bytes(dtype, K);
    std::byte* act = scratch.quantized_act(dtype);
    auto rows = [&](size_t begin, size_t end) {
      for (size_t m = begin; m < end; ++m) {
        const auto row = static_cast<int64_t>(m);
        table.quantize_act(x + row * K, K, dtype, act + row * row_bytes);
      }
    };
    if (M >= kParallelQuantizeRows) {
      pool.parallel_for(static_cast<size_t>(M), rows);
    } else {
      rows(0, static_cast<size_t>(M));
    }
  }
}

}  // namespace

KernelScratch::KernelScratch(int n_threads, int64_t max_reduce_len, int64_t max_keys,
                             int64_t max_rows)
    : max_reduce_len_(max_reduce_len),
      tile_floats_(matmul_scratch_floats(max_reduce_len)),
      max_keys_(max_keys),
      max_rows_(max_rows),
      tiles_(static_cast<size_t>(n_threads * tile_floats_)),
      scores_(static_cast<size_t>(n_threads * kAttentionGroupHeads * max_keys)),
      act_32_(static_cast<size_t>(max_rows * act_row_bytes(DType::Q8_0, max_reduce_len))),
      act_k_(static_cast<size_t>(max_rows * act_row_bytes(DType::Q4_K, max_reduce_len))) {}

std::byte* KernelScratch::quantized_act(DType w_dtype) {
  return uses_q8_32_act(w_dtype) ? act_32_.data() : act_k_.data();
}

void matmul(ThreadPool& pool, KernelScratch& scratch, const float* x, int64_t M, int64_t K,
            std::span<const MatmulOutput> outputs) {
  assert(K <= scratch.max_reduce_len());
  int64_t total_rows = 0;
  bool any_quantized = false;
  for (const MatmulOutput& out : outputs) {
    total_rows += out.weight->rows();
    any_quantized |= is_quantized(out.weight->dtype);
  }
  const KernelTable& table = kernels();
  if (any_quantized) {
    // A caller bug that would overrun the activation buffer: stop even in release builds.
    if (M > scratch.max_rows() || K > scratch.max_reduce_len()) {
      std::fprintf(stderr, "qinfer: matmul of %lld rows of %lld exceeds the kernel scratch\n",
                   static_cast<long long>(M), static_cast<long long>(K));
      std::abort();
    }
    quantize_rows(pool, scratch, table, x, M, K, outputs);
  }
  const int64_t split_rows = any_quantized ? kQuantSplitRows : kMatmulTileRows;
  pool.run([&](int thread, int n_threads) {
    // Slice boundaries on whole tiles of W rows so no thread widens a partial tile needlessly.
    auto boundary = [&](int t) {
      if (t == n_threads) return total_rows;
      return total_rows * t / n_threads / split_rows * split_rows;
    };
    const int64_t begin = boundary(thread), end = boundary(thread + 1);
    int64_t offset = 0;  // first concatenated row of the current weight
    for (const MatmulOutput& out : outputs) {
      const int64_t N = out.weight->rows();
      const int64_t lo = begin > offset ? begin - offset : 0;
      const int64_t hi = end - offset < N ? end - offset : N;
      const DType dtype = out.weight->dtype;
      // A slice starts on a whole group unless an earlier weight of the same call had a row
      // count off the group size; such a slice reads the original blocks (same results).
      const bool packed = out.weight->packed != nullptr && lo % kPackedGroupRows == 0 &&
                          hi % kPackedGroupRows == 0;
      if (lo < hi && packed) {
        table.matmul_packed(scratch.quantized_act(dtype), M, K, out.weight->packed, dtype, lo,
                            hi, out.y, N, scratch.matmul_tile(thread));
      } else if (lo < hi && is_quantized(dtype)) {
        table.matmul_quant(scratch.quantized_act(dtype), M, K, out.weight->data, dtype, lo, hi,
                           out.y, N, scratch.matmul_tile(thread));
      } else if (lo < hi) {
        table.matmul(x, M, K, out.weight->data, dtype, lo, hi, out.y, N,
                     scratch.matmul_tile(thread));
      }
      offset += N;
    }
  });
}

void attention_causal_gqa(ThreadPool& pool, KernelScratch& scratch, const float* q, int64_t T,
                          int64_t first_position, const void* k, const void* v, DType kv_dtype,
                          int64_t head_stride, int64_t position_stride, int64_t Hq, int64_t Hkv,
                          int64_t D, float* out) {
  const AttentionJob job{.q = q, .T = T, .first_position = first_position, .k = k, .v = v,
                         .head_stride = head_stride, .position_stride = position_stride,
                         .out = out};
  attention_causal_gqa(pool, scratch, std::span<const AttentionJob>(&job, 1), kv_dtype, Hq, Hkv,
                       D);
}

void attention_causal_gqa(ThreadPool& pool, KernelScratch& scratch,
                          std::span<const AttentionJob> jobs, DType kv_dtype, int64_t Hq,
                          int64_t Hkv, int64_t D) {
  const KernelTable& table = kernels();
  const int64_t group = Hq / Hkv;  // query heads per kv head
  const int64_t element_bytes = dtype_info(kv_dtype).block_bytes;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const bool grouped = table.attention_heads != nullptr;
  // A GQA group's query heads at one position share every key and value load; chunks of at
  // most kAttentionGroupHeads (the scores scratch holds that many rows). Without
  // attention_heads a unit is one query head.
  const int64_t chunks = (group + kAttentionGroupHeads - 1) / kAttentionGroupHeads;
  const int64_t units = grouped ? Hkv * chunks : Hq;
  pool.run([&](int thread, int n_threads) {
    // Items numbered across all jobs, dealt round-robin. Within a job: units outer, queries
    // inner, so one kv head's keys and values stay in L2 while its queries pass; later
    // queries see more keys, and interleaving balances the threads.
    int64_t base = 0;  // first item of the current job
    for (const AttentionJob& job : jobs) {
      assert(job.first_position + job.T <= scratch.max_keys());
      const int64_t items = units * job.T;
      const auto* k_bytes = static_cast<const std::byte*>(job.k);
      const auto* v_bytes = static_cast<const std::byte*>(job.v);
      const int64_t head_bytes = job.head_stride * element_bytes;
      const int64_t first = ((thread - base) % n_threads + n_threads) % n_threads;
      for (int64_t item = first; item < items; item += n_threads) {
        const int64_t unit = item / job.T, t = item % job.T;
        const int64_t n_keys = job.first_position + t + 1;
        if (grouped) {
          const int64_t kv_head = unit / chunks, chunk = unit % chunks;
          const int64_t h0 = kv_head * group + chunk * kAttentionGroupHeads;
          const int64_t n_q = std::min(kAttentionGroupHeads, (kv_head + 1) * group - h0);
          const int64_t at = (t * Hq + h0) * D;
          table.attention_heads(job.q + at, n_q, k_bytes + kv_head * head_bytes,
                                v_bytes + kv_head * head_bytes, kv_dtype, n_keys,
                                job.position_stride, D, scale, scratch.attention_scores(thread),
                                job.out + at);
        } else {
          const int64_t h = unit, kv_head = h / group;
          const int64_t at = (t * Hq + h) * D;
          table.attention_head(job.q + at, k_bytes + kv_head * head_bytes,
                               v_bytes + kv_head * head_bytes, kv_dtype, n_keys,
                               job.position_stride, D, scale, scratch.attention_scores(thread),
                               job.out + at);
        }
      }
      base += items;
    }
  });
}

}  // namespace qinfer
