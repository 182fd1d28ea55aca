// Qwen3 (dense) as transformers' modeling_qwen3.py defines it, for T new positions at once:
//
//   x = embed_tokens[ids]                                           [T, H]
//   for each layer:
//     h = rmsnorm(x) · {q,k,v}_proj^T                               [T, Hq*D], [T, Hkv*D] x2
//     q, k = rmsnorm per head (q_norm, k_norm), then RoPE (NeoX rotate-half)
//     k, v -> KV cache (F32, or rounded to F16); a = softmax(q·k^T / sqrt(D), causal) · v
//                                                (query head h uses kv head h / (Hq/Hkv))
//     x = x + a · o_proj^T
//     h = rmsnorm(x);  x = x + (silu(h·gate^T) * (h·up^T)) · down^T
//   logits = rmsnorm(x) · lm_head^T                                 [T or 1, V]
//
// Where the time goes: the seven matmuls per layer and lm_head (V·H MACs per position, the
// largest single matrix of the small models). Everything else is O(T·H) per layer, except
// attention, O(T·position·Hq·D), which matters only for long contexts.
#include "model/qwen3.h"

#include <algorithm>
#include <string>
#include <utility>

#include "kernels/dispatch.h"

namespace qinfer {
namespace {

Status check_matrix(const TensorView& view, const std::string& name) {
  if (!is_supported_matrix_dtype(view.dtype)) {
    return make_error("tensor {}: dtype {} not supported by the forward pass", name,
                      dtype_name(view.dtype));
  }
  if (view.shape.size() != 2) return make_error("tensor {}: not a matrix", name);
  // Kernels read whole blocks per row (quantized rows never share a block).
  if (view.shape[1] % dtype_info(view.dtype).block_elements != 0) {
    return make_error("tensor {}: rows of {} elements are not whole {} blocks", name,
                      view.shape[1], dtype_name(view.dtype));
  }
  if (view.data == nullptr) return make_error("tensor {}: no data bound", name);
  return ok_status();
}

Status check_norm(const TensorView& view, const std::string& name) {
  if (view.dtype != DType::F32 || view.data == nullptr) {
    return make_error("tensor {}: norm weights must be bound as F32", name);
  }
  return ok_status();
}

void add_in_place(float* __restrict x, const float* __restrict delta, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += delta[i];
}

}  // namespace

Expected<std::unique_ptr<Qwen3Forward>> Qwen3Forward::create(const Qwen3Config& config,
                                                             const ModelWeights& weights,
                                                             ThreadPool& pool,
                                                             const ForwardOptions& options) {
  if (!config.rope_scaling.rope_type.empty()) {
    return make_error("rope_scaling type '{}' is not supported yet (plain RoPE only; YaRN comes "
                      "with long-context support)", config.rope_scaling.rope_type);
  }
  if (config.head_dim % 2 != 0) return make_error("head_dim {} must be even for RoPE", config.head_dim);
  if (options.max_chunk_tokens <= 0 || options.max_positions <= 0 || options.max_sequences <= 0) {
    return make_error("max_chunk_tokens, max_positions and max_sequences must be positive");
  }
  if (options.kv_dtype && !is_supported_kv_dtype(*options.kv_dtype)) {
    return make_error("KV cache type {} is not supported (f32 or f16)",
                      dtype_name(*options.kv_dtype));
  }
  if (static_cast<int64_t>(weights.layers.size()) != config.num_hidden_layers) {
    return make_error("weights have {} layers, config says {}", weights.layers.size(),
                      config.num_hidden_layers);
  }
  QINFER_RETURN_IF_ERROR(check_matrix(weights.embed_tokens, "model.embed_tokens.weight"));
  QINFER_RETURN_IF_ERROR(check_matrix(weights.lm_head, "lm_head.weight"));
  QINFER_RETURN_IF_ERROR(check_norm(weights.norm, "model.norm.weight"));
  for (size_t l = 0; l < weights.layers.size(); ++l) {
    const LayerWeights& layer = weights.layers[l];
    const std::pair<const TensorView*, const char*> matrices[] = {
        {&layer.q_proj, "self_attn.q_proj"}, {&layer.k_proj, "self_attn.k_proj"},
        {&layer.v_proj, "self_attn.v_proj"}, {&layer.o_proj, "self_attn.o_proj"},
        {&layer.gate_proj, "mlp.gate_proj"}, {&layer.up_proj, "mlp.up_proj"},
        {&layer.down_proj, "mlp.down_proj"}};
    for (const auto& [view, name] : matrices) {
      QINFER_RETURN_IF_ERROR(check_matrix(*view, fmt::format("model.layers.{}.{}.weight", l, name)));
    }
    const std::pair<const TensorView*, const char*> norms[] = {
        {&layer.input_layernorm, "input_layernorm"},
        {&layer.post_attention_layernorm, "post_attention_layernorm"},
        {&layer.q_norm, "self_attn.q_norm"}, {&layer.k_norm, "self_attn.k_norm"}};
    for (const auto& [view, name] : norms) {
      QINFER_RETURN_IF_ERROR(check_norm(*view, fmt::format("model.layers.{}.{}.weight", l, name)));
    }
  }
  ForwardOptions resolved = options;
  if (!resolved.kv_dtype) resolved.kv_dtype = default_kv_dtype(weights);
  return std::unique_ptr<Qwen3Forward>(new Qwen3Forward(config, weights, pool, resolved));
}

Qwen3Forward::Qwen3Forward(const Qwen3Config& config, const ModelWeights& weights,
                           ThreadPool& pool, const ForwardOptions& options)
    : config_(config), weights_(weights), pool_(pool), options_(options) {
  const int64_t T = options.max_chunk_tokens, H = config.hidden_size;
  const int64_t I = config.intermediate_size, V = config.vocab_size;
  rope_ = make_rope_table(config.rope_theta, config.head_dim, options.max_positions);
  kernel_scratch_ = KernelScratch(pool.size(), std::max({H, config.q_dim(), I}),
                                  options.max_positions, T);
  x_.resize(static_cast<size_t>(T * H));
  xn_.resize(static_cast<size_t>(T * H));
  q_.resize(static_cast<size_t>(T * config.q_dim()));
  k_.resize(static_cast<size_t>(T * config.kv_dim()));
  v_.resize(static_cast<size_t>(T * config.kv_dim()));
  attn_.resize(static_cast<size_t>(T * config.q_dim()));
  gate_.resize(static_cast<size_t>(T * I));
  up_.resize(static_cast<size_t>(T * I));
  const int64_t logit_rows =
      options.all_logits ? T : std::min(T, std::max<int64_t>(1, options.max_sequences));
  logits_.resize(static_cast<size_t>(logit_rows * V));
}

void Qwen3Forward::attention_block(const LayerWeights& layer, int64_t layer_index,
                                   std::span<const SequenceChunk> chunks, int64_t T) {
  const KernelTable& k = kernels();
  const int64_t H = config_.hidden_size, D = config_.head_dim;
  const int64_t Hq = config_.num_attention_heads, Hkv = config_.num_key_value_heads;
  const int64_t kv_dim = config_.kv_dim();
  const float eps = static_cast<float>(config_.rms_norm_eps);
  attention_jobs_.clear();  // keeps its capacity: no allocation per step after the first

  k.rmsnorm(x_.data(), layer.input_layernorm.as<float>(), T, H, eps, xn_.data());
  const MatmulOutput qkv[] = {{&layer.q_proj, q_.data()},
                              {&layer.k_proj, k_.data()},
                              {&layer.v_proj, v_.data()}};
  matmul(pool_, kernel_scratch_, xn_.data(), T, H, qkv);

  // Qwen3's per-head RMSNorm of queries and keys (each D-vector normalized on its own), then
  // RoPE at each row's absolute position in its own sequence.
  k.rmsnorm(q_.data(), layer.q_norm.as<float>(), T * Hq, D, eps, q_.data());
  k.rmsnorm(k_.data(), layer.k_norm.as<float>(), T * Hkv, D, eps, k_.data());
  int64_t row = 0;
  for (const SequenceChunk& chunk : chunks) {
    const int64_t first = chunk.cache->length();
    const int64_t n = static_cast<int64_t>(chunk.tokens.size());
    for (int64_t t = 0; t < n; ++t) {
      const int64_t position = first + t;
      k.rope_neox(q_.data() + (row + t) * Hq * D, Hq, D, rope_.cos_row(position),
                  rope_.sin_row(position));
      k.rope_neox(k_.data() + (row + t) * kv_dim, Hkv, D, rope_.cos_row(position),
                  rope_.sin_row(position));
    }
    // The new positions' keys and values go into the cache, in its type, one head row at a
    // time (the cache keeps each head's positions together). Attention then reads every
    // position from the cache, the new ones included, so a prompt gives the same bits in one
    // chunk or many.
    KvCache& cache = *chunk.cache;
    const DType kv_dtype = cache.dtype();
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t h = 0; h < Hkv; ++h) {
        const int64_t at = (row + t) * kv_dim + h * D;
        k.from_f32(k_.data() + at, D, kv_dtype, cache.key(layer_index, h, first + t));
        k.from_f32(v_.data() + at, D, kv_dtype, cache.value(layer_index, h, first + t));
      }
    }
    attention_jobs_.push_back({.q = q_.data() + row * Hq * D,
                               .T = n,
                               .first_position = first,
                               .k = cache.keys(layer_index),
                               .v = cache.values(layer_index),
                               .head_stride = cache.head_stride(),
                               .position_stride = cache.position_stride(),
                               .out = attn_.data() + row * Hq * D});
    row += n;
  }
  // Every sequence's attention in one dispatch (forward checked that the caches share a type).
  attention_causal_gqa(pool_, kernel_scratch_, attention_jobs_, *options_.kv_dtype, Hq, Hkv, D);

  const MatmulOutput o[] = {{&layer.o_proj, xn_.data()}};
  matmul(pool_, kernel_scratch_, attn_.data(), T, config_.q_dim(), o);
  add_in_place(x_.data(), xn_.data(), T * H);
}

void Qwen3Forward::mlp_block(const LayerWeights& layer, int64_t T) {
  const KernelTable& k = kernels();
  const int64_t H = config_.hidden_size, I = config_.intermediate_size;
  k.rmsnorm(x_.data(), layer.post_attention_layernorm.as<float>(), T, H,
            static_cast<float>(config_.rms_norm_eps), xn_.data());
  const MatmulOutput gate_up[] = {{&layer.gate_proj, gate_.data()}, {&layer.up_proj, up_.data()}};
  matmul(pool_, kernel_scratch_, xn_.data(), T, H, gate_up);
  pool_.parallel_for(static_cast<size_t>(T), [&](size_t begin, size_t end) {
    const int64_t offset = static_cast<int64_t>(begin) * I;
    k.silu_mul(gate_.data() + offset, up_.data() + offset, static_cast<int64_t>(end - begin) * I,
               gate_.data() + offset);
  });
  const MatmulOutput down[] = {{&layer.down_proj, xn_.data()}};
  matmul(pool_, kernel_scratch_, gate_.data(), T, I, down);
  add_in_place(x_.data(), xn_.data(), T * H);
}

Expected<std::span<const float>> Qwen3Forward::forward(std::span<const int32_t> tokens,
                                                       KvCache& cache, LogitsFor which) {
  const SequenceChunk chunk{tokens, &cache, which};
  return forward_batch(std::span<const SequenceChunk>(&chunk, 1));
}

Status Qwen3Forward::check_batch(std::span<const SequenceChunk> chunks, int64_t* total_tokens,
                                 int64_t* logit_rows) const {
  const int64_t V = config_.vocab_size;
  if (chunks.empty()) return make_error("forward: no sequences");
  if (static_cast<int64_t>(chunks.size()) > options_.max_sequences) {
    return make_error("forward: {} sequences exceed the batch limit {}", chunks.size(),
                      options_.max_sequences);
  }
  *total_tokens = 0;
  *logit_rows = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const SequenceChunk& chunk = chunks[i];
    const int64_t n = static_cast<int64_t>(chunk.tokens.size());
    if (n == 0) return make_error("forward: sequence {} has no tokens", i);
    if (chunk.cache == nullptr) return make_error("forward: sequence {} has no cache", i);
    // One attention dispatch serves every sequence of a step: their caches share make_cache's
    // element type.
    if (chunk.cache->dtype() != *options_.kv_dtype) {
      return make_error("forward: sequence {}'s KV cache holds {}, this forward uses {}", i,
                        dtype_name(chunk.cache->dtype()), dtype_name(*options_.kv_dtype));
    }
    for (size_t j = 0; j < i; ++j) {
      if (chunks[j].cache == chunk.cache) {
        return make_error("forward: sequences {} and {} share a cache", j, i);
      }
    }
    const int64_t context = std::min(chunk.cache->max_positions(), options_.max_positions);
    if (chunk.cache->length() + n > context) {
      return make_error("forward: {} + {} positions exceed the context of {}",
                        chunk.cache->length(), n, context);
    }
    if (chunk.logits == LogitsFor::kAllPositions && !options_.all_logits) {
      return make_error("forward: all-position logits need ForwardOptions::all_logits");
    }
    for (int32_t id : chunk.tokens) {
      if (id < 0 || id >= V) {
        return make_error("token id {} is outside the vocabulary [0, {})", id, V);
      }
    }
    *total_tokens += n;
    *logit_rows += chunk.logits == LogitsFor::kAllPositions ? n
                   : chunk.logits == LogitsFor::kLastPosition ? 1 : 0;
  }
  if (*total_tokens > options_.max_chunk_tokens) {
    return make_error("forward: {} tokens exceed the chunk size {}", *total_tokens,
                      options_.max_chunk_tokens);
  }
  return ok_status();
}

Expected<std::span<const float>> Qwen3Forward::forward_batch(
    std::span<const SequenceChunk> chunks) {
  int64_t T = 0, logit_rows = 0;
  QINFER_RETURN_IF_ERROR(check_batch(chunks, &T, &logit_rows));
  const int64_t H = config_.hidden_size, V = config_.vocab_size;

  const KernelTable& k = kernels();
  const TensorView& embed = weights_.embed_tokens;
  const int64_t embed_row_bytes = static_cast<int64_t>(embed.nbytes) / embed.rows();
  int64_t row = 0;
  for (const SequenceChunk& chunk : chunks) {
    for (int32_t id : chunk.tokens) {
      k.to_f32(embed.data + id * embed_row_bytes, embed.dtype, H, x_.data() + row * H);
      ++row;
    }
  }

  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    const LayerWeights& layer = weights_.layers[static_cast<size_t>(l)];
    attention_block(layer, l, chunks, T);
    mlp_block(layer, T);
  }
  for (const SequenceChunk& chunk : chunks) {
    chunk.cache->commit(static_cast<int64_t>(chunk.tokens.size()));
  }
  if (logit_rows == 0) return std::span<const float>();

  // Only the rows whose logits are wanted go through the final norm and lm_head: gather them
  // (in chunk order) into xn_, normalized.
  const float eps = static_cast<float>(config_.rms_norm_eps);
  int64_t out = 0;
  row = 0;
  for (const SequenceChunk& chunk : chunks) {
    const int64_t n = static_cast<int64_t>(chunk.tokens.size());
    const int64_t first = chunk.logits == LogitsFor::kAllPositions ? 0
                          : chunk.logits == LogitsFor::kLastPosition ? n - 1 : n;
    if (first < n) {
      k.rmsnorm(x_.data() + (row + first) * H, weights_.norm.as<float>(), n - first, H, eps,
                xn_.data() + out * H);
      out += n - first;
    }
    row += n;
  }
  const MatmulOutput head[] = {{&weights_.lm_head, logits_.data()}};
  matmul(pool_, kernel_scratch_, xn_.data(), logit_rows, H, head);
  return std::span<const float>(logits_.data(), static_cast<size_t>(logit_rows * V));
}

}  // namespace qinfer
