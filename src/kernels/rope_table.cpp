#include "kernels/rope_table.h"

#include <cmath>

namespace qinfer {

RopeTable make_rope_table(double theta, int64_t head_dim, int64_t max_positions) {
  RopeTable table;
  table.max_positions = max_positions;
  table.half_dim = head_dim / 2;
  table.cos.resize(static_cast<size_t>(max_positions * table.half_dim));
  table.sin.resize(table.cos.size());
  // Rounded the way transformers computes them, so the angles agree to the last bit at long
  // positions (an f32 angle of ~1e4 rad carries ~1e-3 rad of rounding; matching it matters more
  // than being "more exact"): inv_freq = f32(theta ** f32(2i / D)) ** -1 in f32, the angle is
  // the f32 product position * inv_freq, and cos/sin of that f32 angle are rounded once.
  std::vector<float> inv_freq(static_cast<size_t>(table.half_dim));
  for (int64_t i = 0; i < table.half_dim; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    const float power = static_cast<float>(std::pow(theta, static_cast<double>(exponent)));
    inv_freq[static_cast<size_t>(i)] = 1.0f / power;
  }
  for (int64_t p = 0; p < max_positions; ++p) {
    for (int64_t i = 0; i < table.half_dim; ++i) {
      const float angle = static_cast<float>(p) * inv_freq[static_cast<size_t>(i)];
      const size_t at = static_cast<size_t>(p * table.half_dim + i);
      table.cos[at] = static_cast<float>(std::cos(static_cast<double>(angle)));
      table.sin[at] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
  return table;
}

}  // namespace qinfer
