// The keys and values of every position a sequence has seen, per layer, so that a new token
// attends to them without recomputing the prompt. f32 for now (the kernels issue adds f16/q8).
#pragma once

#include <cstdint>
#include <vector>

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
  float* keys(int64_t layer) { return k_.data() + layer * layer_floats(); }
  float* values(int64_t layer) { return v_.data() + layer * layer_floats(); }
  const float* keys(int64_t layer) const { return k_.data() + layer * layer_floats(); }
  const float* values(int64_t layer) const { return v_.data() + layer * layer_floats(); }

  // The forward pass writes positions [length, length + n) of every layer, then commits them.
  void commit(int64_t n) { length_ += n; }
  // Forgets positions [n, length): a new continuation after a shared prefix, or a reset (n = 0).
  void truncate(int64_t n) { length_ = n < length_ ? n : length_; }

 private:
  int64_t layer_floats() const { return max_positions_ * kv_dim_; }

  int64_t n_layers_ = 0;
  int64_t max_positions_ = 0;
  int64_t kv_dim_ = 0;
  int64_t length_ = 0;
  std::vector<float> k_;   // [layers, max_positions, Hkv, D]
  std::vector<float> v_;   // [layers, max_positions, Hkv, D]
};

}  // namespace qinfer
