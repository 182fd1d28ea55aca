// Helpers shared by the kernel tests.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace qinfer {

// n values drawn from N(0, stddev^2) by `rng`.
inline std::vector<float> random_vector(size_t n, std::mt19937& rng, float stddev = 1.0f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (float& value : v) value = dist(rng);
  return v;
}

}  // namespace qinfer
