#include "model/kv_cache.h"

namespace qinfer {

KvCache::KvCache(const Qwen3Config& config, int64_t max_positions)
    : n_layers_(config.num_hidden_layers),
      max_positions_(max_positions),
      kv_dim_(config.kv_dim()),
      k_(static_cast<size_t>(n_layers_ * max_positions_ * kv_dim_)),
      v_(k_.size()) {}

}  // namespace qinfer
