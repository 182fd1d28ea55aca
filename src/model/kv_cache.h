// The keys and values of every position a sequence has seen, per layer, so that a new token
// attends to them without recomputing the prompt. f32 for now (the kernels issue adds f16/q8).
#pragma once

#include <cstdint>

#include "base/zeroed_pages.h"

#include "model/config.h"

namespace qinfer {

class KvCache {
 public:
  // Room for max_positions positions of one sequence: 2 * layers * max_positions * Hkv * D floats.
  KvCache(const Qwen3Config& config, int64_t max_positions);

  int64_t max_positions() const { return max_positions_; }
  int64_t length() const { return length_; }          // positions filled, [0, length)
  int64_t row_floats() const { return kv_dim_; }      // Hkv * D floats per position

  // One layer's cache: [max_positions, Hkv, D], position p at p * row_floats().
  float* keys(int64_t layer) { return k_base() + layer * layer_floats(); }
  float* values(int64_t layer) { return v_base() + layer * layer_floats(); }
  const float* keys(int64_t layer) const { return k_base() + layer * layer_floats(); }
  const float* values(int64_t layer) const { return v_base() + layer * layer_floats(); }

  // Copies positions [0, n) of every layer from `source` (same shape), making this cache hold
  // that prefix: a new sequence reuses another one's keys and values for a shared prompt start.
  void copy_prefix_from(const KvCache& source, int64_t n);

  // The forward pass writes positions [length, length + n) of every layer, then commits them.
  void commit(int64_t n) { length_ += n; }
  // Forgets positions [n, length): a new continuation after a shared prefix, or a reset (n = 0).
  void truncate(int64_t n) { length_ = n < length_ ? n : length_; }

 private:
  int64_t layer_floats() const { return max_positions_ * kv_dim_; }
  float* k_base() const { return reinterpret_cast<float*>(storage_.data()); }
  float* v_base() const { return k_base() + n_layers_ * layer_floats(); }

  int64_t n_layers_ = 0;
  int64_t max_positions_ = 0;
  int64_t kv_dim_ = 0;
  int64_t length_ = 0;
  // Keys [layers, max_positions, Hkv, D], then values likewise; pages are committed as
  // positions are written.
  ZeroedPages storage_;
};

}  // namespace qinfer
