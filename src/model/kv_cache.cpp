#include "model/kv_cache.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstring>
#include <string>

namespace qinfer {

bool is_supported_kv_dtype(DType dtype) { return dtype == DType::F32 || dtype == DType::F16; }

Expected<std::optional<DType>> parse_kv_dtype(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower == "auto") return std::optional<DType>();
  if (lower == "f32") return std::optional<DType>(DType::F32);
  if (lower == "f16") return std::optional<DType>(DType::F16);
  return make_error("--kv-type '{}': expected auto, f32 or f16", name);
}

DType default_kv_dtype(const ModelWeights& weights) {
  bool all_f32 = weights.embed_tokens.dtype == DType::F32 && weights.lm_head.dtype == DType::F32;
  for (const LayerWeights& layer : weights.layers) {
    for (const TensorView* matrix : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj,
                                     &layer.gate_proj, &layer.up_proj, &layer.down_proj}) {
      all_f32 = all_f32 && matrix->dtype == DType::F32;
    }
  }
  return all_f32 ? DType::F32 : DType::F16;
}

KvCache::KvCache(const Qwen3Config& config, int64_t max_positions, DType dtype)
    : dtype_(dtype),
      element_bytes_(dtype_info(dtype).block_bytes),
      n_layers_(config.num_hidden_layers),
      max_positions_(max_positions),
      n_kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      storage_(static_cast<size_t>(max_positions * bytes_per_position(config, dtype))) {
  assert(is_supported_kv_dtype(dtype));  // Qwen3Forward::create refuses other types
}

int64_t KvCache::bytes_per_position(const Qwen3Config& config, DType dtype) {
  return 2 * config.num_hidden_layers * config.kv_dim() * dtype_info(dtype).block_bytes;
}

void KvCache::copy_prefix_from(const KvCache& source, int64_t n) {
  assert(source.n_kv_heads_ == n_kv_heads_ && source.head_dim_ == head_dim_ &&
         source.n_layers_ == n_layers_ && source.dtype_ == dtype_);
  n = std::min({n, source.length_, max_positions_});
  const size_t bytes = static_cast<size_t>(n * position_stride() * element_bytes_);
  for (int64_t l = 0; l < n_layers_; ++l) {
    for (int64_t h = 0; h < n_kv_heads_; ++h) {
      std::memcpy(key(l, h, 0), source.key(l, h, 0), bytes);
      std::memcpy(value(l, h, 0), source.value(l, h, 0), bytes);
    }
  }
  length_ = n;
}

}  // namespace qinfer
