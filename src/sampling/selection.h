// Partial selection over a row of logits, so that top-k and top-p never sort the vocabulary.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>

namespace qinfer {

// The k-th largest of `values` (1 <= k <= values.size()), i.e. the largest v such that at least k
// values are >= v. One pass with a k-sized min-heap kept in `heap` (size >= k): after the first
// few thousand values almost every value fails the single comparison with the heap's minimum, so
// the cost is one compare per logit. NaN values are never selected.
float kth_largest(std::span<const float> values, int64_t k, std::span<float> heap);

// Probability mass of a softmax row bucketed by weight w = exp((logit - max) / T) in (0, 1],
// quarter-octave buckets read off the float's bits (exponent and two mantissa bits): bucket 0
// holds w = 1, bucket b holds w in [2^-(b+1)/4 ...), about 0.17 nats wide; w = 0 is the last.
// Walking buckets from the top tells top-p which tokens can be inside its nucleus, so only those
// are sorted. Four copies of the counts break the store-to-load chains of a scatter-add.
struct MassBuckets {
  static constexpr uint32_t kShift = 21;                       // keep sign, exponent, 2 bits
  static constexpr uint32_t kOne = 0x3F800000u >> kShift;      // bucket key of 1.0f
  static constexpr int kCount = static_cast<int>(kOne) + 1;    // keys 0 (w = 0) .. kOne

  static int bucket_of_bits(uint32_t weight_bits) {
    return static_cast<int>(kOne - (weight_bits >> kShift));
  }
  // Smallest weight in bucket b: weights >= it are in buckets 0..b.
  static float lower_edge(int b) {
    return std::bit_cast<float>((kOne - static_cast<uint32_t>(b)) << kShift);
  }

  void add(std::span<const float> weights);  // accumulates the weights of a whole row
  double mass(int b) const {
    const auto i = static_cast<size_t>(b);
    return (copies[0][i] + copies[1][i]) + (copies[2][i] + copies[3][i]);
  }

  std::array<std::array<double, kCount>, 4> copies{};
};

}  // namespace qinfer
