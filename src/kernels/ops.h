// Threaded drivers over the dispatch table: they split one op across the ThreadPool so that
// each output element is computed by exactly one thread (results independent of thread count),
// and hand each thread its preallocated scratch. The model calls these, never raw threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "tensor/tensor_view.h"

namespace qinfer {

// Query heads of one GQA group attended together (KernelTable::attention_heads); the scores
// scratch holds this many rows of max_keys per thread.
inline constexpr int64_t kAttentionGroupHeads = 8;

// Scratch for the drivers, allocated once for the largest reduction length, the longest context
// and the most rows of x (tokens per forward chunk) the caller will use.
class KernelScratch {
 public:
  KernelScratch() = default;
  KernelScratch(int n_threads, int64_t max_reduce_len, int64_t max_keys, int64_t max_rows = 1);

  float* matmul_tile(int thread) { return tiles_.data() + thread * tile_floats_; }
  float* attention_scores(int thread) {
    return scores_.data() + thread * kAttentionGroupHeads * max_keys_;
  }
  // x quantized for quantized weights, one region per activation format (kernels/quant_act.h):
  // Q8_0 and Q4_0 weights share one, the K-quants the other.
  std::byte* quantized_act(DType w_dtype);
  int64_t max_reduce_len() const { return max_reduce_len_; }
  int64_t max_keys() const { return max_keys_; }
  int64_t max_rows() const { return max_rows_; }

 private:
  int64_t max_reduce_len_ = 0;
  int64_t tile_floats_ = 0;
  int64_t max_keys_ = 0;
  int64_t max_rows_ = 0;
  std::vector<float> tiles_;       // [n_threads, matmul_scratch_floats(max_reduce_len)]
  std::vector<float> scores_;      // [n_threads, kAttentionGroupHeads, max_keys]
  std::vector<std::byte> act_32_;  // [max_rows, act_row_bytes(Q8_0, max_reduce_len)]
  std::vector<std::byte> act_k_;   // [max_rows, act_row_bytes(Q4_K, max_reduce_len)]
};

// One weight and where its product goes: y = x · W^T, y: [M, W.rows()], rows contiguous.
struct MatmulOutput {
  const TensorView* weight;    // [N, K] in F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K
  float* y;                    // [M, N]
};

// Computes every output for the same x: [M, K] in one pool dispatch, splitting the concatenated
// output rows of all weights evenly over the threads (so q/k/v or gate/up cost one wake-up).
// For quantized weights each row of x is quantized once per activation format first (M must
// not exceed scratch.max_rows()).
void matmul(ThreadPool& pool, KernelScratch& scratch, const float* x, int64_t M, int64_t K,
            std::span<const MatmulOutput> outputs);

// Causal grouped-query attention of T new queries against a KV cache.
//   q:   [T, Hq, D]     query t sits at position first_position + t and sees keys
//                       [0, first_position + t]
//   k,v: one layer of the cache, elements of kv_dtype (F32 or F16): kv head h's row of position
//        p, D elements, starts at element h * head_stride + p * position_stride (KvCache keeps
//        each head's positions contiguous: head_stride = max_positions * D, position_stride = D)
//   out: [T, Hq, D]     query head h reads kv head h / (Hq / Hkv)
void attention_causal_gqa(ThreadPool& pool, KernelScratch& scratch, const float* q, int64_t T,
                          int64_t first_position, const void* k, const void* v, DType kv_dtype,
                          int64_t head_stride, int64_t position_stride, int64_t Hq, int64_t Hkv,
                          int64_t D, float* out);

// One sequence's part of a batched attention_causal_gqa (fields as its arguments).
struct AttentionJob {
  const float* q = nullptr;
  int64_t T = 0;
  int64_t first_position = 0;
  const void* k = nullptr;
  const void* v = nullptr;
  int64_t head_stride = 0;
  int64_t position_stride = 0;
  float* out = nullptr;
};

// attention_causal_gqa of every job (a batch of sequences, each against its own cache) in one
// pool dispatch, the work dealt round-robin over all of them: a decode step of several
// sequences waits on one barrier per layer instead of one per sequence. Each output is computed
// by the same kernel call as alone, so results do not depend on the batch.
void attention_causal_gqa(ThreadPool& pool, KernelScratch& scratch,
                          std::span<const AttentionJob> jobs, DType kv_dtype, int64_t Hq,
                          int64_t Hkv, int64_t D);

}  // namespace qinfer
