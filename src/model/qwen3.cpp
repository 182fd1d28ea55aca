// Qwen3 (dense) as transformers' modeling_qwen3.py defines it, for T new positions at once:
//
//   x = embed_tokens[ids]                                           [T, H]
//   for each layer:
//     h = rmsnorm(x) · {q,k,v}_proj^T                               [T, Hq*D], [T, Hkv*D] x2
//     q, k = rmsnorm per head (q_norm, k_norm), then RoPE (NeoX rotate-half)
//     k, v -> KV cache; a = softmax(q·k^T / sqrt(D), causal) · v    (query head h uses
//                                                                  kv head h / (Hq/Hkv))
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
  if (options.max_chunk_tokens <= 0 || options.max_positions <= 0) {
    return make_error("max_chunk_tokens and max_positions must be positive");
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
  return std::unique_ptr<Qwen3Forward>(new Qwen3Forward(config, weights, pool, options));
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
  attn_.resize(static_cast<size_t>(T * config.q_dim()));
  gate_.resize(static_cast<size_t>(T * I));
  up_.resize(static_cast<size_t>(T * I));
  logits_.resize(static_cast<size_t>((options.all_logits ? T : 1) * V));
}

void Qwen3Forward::attention_block(const LayerWeights& layer, int64_t layer_index, int64_t T,
                                   KvCache& cache) {
  const KernelTable& k = kernels();
  const int64_t H = config_.hidden_size, D = config_.head_dim;
  const int64_t Hq = config_.num_attention_heads, Hkv = config_.num_key_value_heads;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  const int64_t first = cache.length();
  // The cache rows of the new positions are laid out exactly as a [T, Hkv*D] matmul output.
  float* new_keys = cache.keys(layer_index) + first * cache.row_floats();
  float* new_values = cache.values(layer_index) + first * cache.row_floats();

  k.rmsnorm(x_.data(), layer.input_layernorm.as<float>(), T, H, eps, xn_.data());
  const MatmulOutput qkv[] = {{&layer.q_proj, q_.data()},
                              {&layer.k_proj, new_keys},
                              {&layer.v_proj, new_values}};
  matmul(pool_, kernel_scratch_, xn_.data(), T, H, qkv);

  // Qwen3's per-head RMSNorm of queries and keys (each D-vector normalized on its own), then
  // RoPE at each row's absolute position.
  k.rmsnorm(q_.data(), layer.q_norm.as<float>(), T * Hq, D, eps, q_.data());
  k.rmsnorm(new_keys, layer.k_norm.as<float>(), T * Hkv, D, eps, new_keys);
  for (int64_t t = 0; t < T; ++t) {
    const int64_t position = first + t;
    k.rope_neox(q_.data() + t * Hq * D, Hq, D, rope_.cos_row(position), rope_.sin_row(position));
    k.rope_neox(new_keys + t * Hkv * D, Hkv, D, rope_.cos_row(position), rope_.sin_row(position));
  }

  attention_causal_gqa(pool_, kernel_scratch_, q_.data(), T, first, cache.keys(layer_index),
                       cache.values(layer_index), Hq, Hkv, D, attn_.data());

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
  const int64_t T = static_cast<int64_t>(tokens.size());
  const int64_t H = config_.hidden_size, V = config_.vocab_size;
  if (T == 0) return make_error("forward: no tokens");
  if (T > options_.max_chunk_tokens) {
    return make_error("forward: {} tokens exceed the chunk size {}", T, options_.max_chunk_tokens);
  }
  if (cache.length() + T > std::min(cache.max_positions(), options_.max_positions)) {
    return make_error("forward: {} + {} positions exceed the context of {}", cache.length(), T,
                      std::min(cache.max_positions(), options_.max_positions));
  }
  if (which == LogitsFor::kAllPositions && !options_.all_logits) {
    return make_error("forward: all-position logits need ForwardOptions::all_logits");
  }
  for (int32_t id : tokens) {
    if (id < 0 || id >= V) return make_error("token id {} is outside the vocabulary [0, {})", id, V);
  }

  const KernelTable& k = kernels();
  const TensorView& embed = weights_.embed_tokens;
  const int64_t embed_row_bytes = static_cast<int64_t>(embed.nbytes) / embed.rows();
  for (int64_t t = 0; t < T; ++t) {
    k.to_f32(embed.data + tokens[static_cast<size_t>(t)] * embed_row_bytes, embed.dtype, H,
             x_.data() + t * H);
  }

  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    const LayerWeights& layer = weights_.layers[static_cast<size_t>(l)];
    attention_block(layer, l, T, cache);
    mlp_block(layer, T);
  }
  cache.commit(T);
  if (which == LogitsFor::kNone) return std::span<const float>();

  // Only the rows whose logits are wanted go through the final norm and lm_head.
  const int64_t first_row = which == LogitsFor::kAllPositions ? 0 : T - 1;
  const int64_t rows = T - first_row;
  k.rmsnorm(x_.data() + first_row * H, weights_.norm.as<float>(), rows, H,
            static_cast<float>(config_.rms_norm_eps), xn_.data());
  const MatmulOutput head[] = {{&weights_.lm_head, logits_.data()}};
  matmul(pool_, kernel_scratch_, xn_.data(), rows, H, head);
  return std::span<const float>(logits_.data(), static_cast<size_t>(rows * V));
}

}  // namespace qinfer
