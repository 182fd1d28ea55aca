// Precomputed RoPE rotation angles, one row per position: cos/sin(position * inv_freq[i]) with
// inv_freq[i] = theta^(-2i/D), i in [0, D/2). Built once per model for the positions the KV
// cache can hold, so the per-token path only reads it.
#pragma once

#include <cstdint>
#include <vector>

namespace qinfer {

struct RopeTable {
  int64_t max_positions = 0;
  int64_t half_dim = 0;       // D/2
  std::vector<float> cos;     // [max_positions, D/2]
  std::vector<float> sin;     // [max_positions, D/2]

  const float* cos_row(int64_t position) const { return cos.data() + position * half_dim; }
  const float* sin_row(int64_t position) const { return sin.data() + position * half_dim; }
};

// Plain (unscaled) RoPE. head_dim must be even.
RopeTable make_rope_table(double theta, int64_t head_dim, int64_t max_positions);

}  // namespace qinfer
