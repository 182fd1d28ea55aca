#include "model/kv_cache.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace qinfer {

KvCache::KvCache(const Qwen3Config& config, int64_t max_positions)
    : n_layers_(config.num_hidden_layers),
      max_positions_(max_positions),
      kv_dim_(config.kv_dim()),
      storage_(static_cast<size_t>(2 * n_layers_ * max_positions_ * kv_dim_) * sizeof(float)) {}

void KvCache::copy_prefix_from(const KvCache& source, int64_t n) {
  assert(source.kv_dim_ == kv_dim_ && source.n_layers_ == n_layers_);
  n = std::min({n, source.length_, max_positions_});
  const size_t bytes = static_cast<size_t>(n * kv_dim_) * sizeof(float);
  for (int64_t l = 0; l < n_layers_; ++l) {
    std::memcpy(keys(l), source.keys(l), bytes);
    std::memcpy(values(l), source.values(l), bytes);
  }
  length_ = n;
}

}  // namespace qinfer
