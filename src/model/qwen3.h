// The Qwen3 forward pass over new positions of one or several sequences at once (prefill: a
// prompt chunk; decode: one token per running sequence; continuous batching: both mixed), each
// reading and extending its own KvCache. The matmuls see all rows of the batch together (one
// weight pass for every sequence); attention runs per sequence against its own cache. Every
// kernel computes an output row from its input row alone, in a fixed order, so a sequence's
// logits are bit-identical whether it runs alone or beside others. All buffers are allocated
// at create() for the largest batch, so a forward call allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/expected.h"
#include "base/thread_pool.h"
#include "kernels/ops.h"
#include "kernels/rope_table.h"
#include "model/config.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace qinfer {

struct ForwardOptions {
  int64_t max_chunk_tokens = 512;  // largest T one forward() call accepts
  int64_t max_positions = 4096;    // longest sequence (prompt + generated) any cache will hold
  bool all_logits = false;         // keep logits of every position of a chunk, not just the last
  int64_t max_sequences = 1;       // most sequences one forward_batch() call may carry
  // Element type of the caches make_cache() makes: F32 or F16; nullopt: default_kv_dtype of
  // the weights (model/kv_cache.h). create() resolves it. forward() takes caches of either type.
  std::optional<DType> kv_dtype = std::nullopt;
};

// kNone: a prompt chunk that is not the last one needs no lm_head (V*H MACs per call saved).
enum class LogitsFor { kNone, kLastPosition, kAllPositions };

// New tokens of one sequence, run at positions [cache->length(), cache->length() + size).
struct SequenceChunk {
  std::span<const int32_t> tokens;
  KvCache* cache = nullptr;
  LogitsFor logits = LogitsFor::kLastPosition;
};

class Qwen3Forward {
 public:
  // Checks that the weights are ones the kernels support (F32/F16/BF16 matrices, F32 norms),
  // the config is one we implement (no YaRN yet) and the KV type is F32 or F16; sizes every
  // buffer.
  static Expected<std::unique_ptr<Qwen3Forward>> create(const Qwen3Config& config,
                                                        const ModelWeights& weights,
                                                        ThreadPool& pool,
                                                        const ForwardOptions& options);

  // A cache with room for options.max_positions positions, of kv_dtype().
  KvCache make_cache() const { return KvCache(config_, options_.max_positions, kv_dtype()); }
  DType kv_dtype() const { return *options_.kv_dtype; }

  // Runs tokens at positions [cache.length(), cache.length() + T), appends their keys and values
  // to the cache, and returns logits: [T, V] for kAllPositions (needs options.all_logits),
  // [1, V] (the last position) for kLastPosition, nothing for kNone. The span is valid until
  // the next call.
  Expected<std::span<const float>> forward(std::span<const int32_t> tokens, KvCache& cache,
                                           LogitsFor which);

  // Runs several sequences in one pass (distinct caches; at most options.max_sequences chunks,
  // options.max_chunk_tokens tokens in all). Returns the wanted logits rows in chunk order: T
  // rows for kAllPositions, 1 for kLastPosition, none for kNone; [rows, V], valid until the
  // next call. On error no cache has changed.
  Expected<std::span<const float>> forward_batch(std::span<const SequenceChunk> chunks);

  const Qwen3Config& config() const { return config_; }
  const ForwardOptions& options() const { return options_; }

 private:
  Qwen3Forward(const Qwen3Config& config, const ModelWeights& weights, ThreadPool& pool,
               const ForwardOptions& options);
  Status check_batch(std::span<const SequenceChunk> chunks, int64_t* total_tokens,
                     int64_t* logit_rows) const;
  void attention_block(const LayerWeights& layer, int64_t layer_index,
                       std::span<const SequenceChunk> chunks, int64_t T);
  void mlp_block(const LayerWeights& layer, int64_t T);

  Qwen3Config config_;
  const ModelWeights& weights_;
  ThreadPool& pool_;
  ForwardOptions options_;
  RopeTable rope_;               // [max_positions, D/2] cos and sin
  KernelScratch kernel_scratch_; // per-thread matmul tiles and attention scores

  // Activations of one chunk, T <= max_chunk_tokens rows each (H, Hq, Hkv, D, I, V as in
  // model/weights.h):
  std::vector<float> x_;         // [T, H]      the residual stream
  std::vector<float> xn_;        // [T, H]      normalized input of a block / its output
  std::vector<float> q_;         // [T, Hq, D]  queries
  std::vector<float> k_;         // [T, Hkv, D] new keys, stored in each sequence's cache (as
                                 //             the cache's dtype)
  std::vector<float> v_;         // [T, Hkv, D] new values, likewise
  std::vector<float> attn_;      // [T, Hq, D]  attention output, input of o_proj
  std::vector<AttentionJob> attention_jobs_;  // one per sequence of the current step
  std::vector<float> gate_;      // [T, I]      gate_proj, then silu(gate) * up
  std::vector<float> up_;        // [T, I]
  std::vector<float> logits_;    // [T (all_logits) or max_sequences, V]
};

}  // namespace qinfer
