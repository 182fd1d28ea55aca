#include "sampling/selection.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <functional>

namespace qinfer {

float kth_largest(std::span<const float> values, int64_t k, std::span<float> heap) {
  assert(k >= 1 && static_cast<size_t>(k) <= values.size() && heap.size() >= static_cast<size_t>(k));
  const auto size = static_cast<size_t>(k);
  // Seed the heap with the first k non-NaN values (NaN would break the heap's ordering).
  size_t filled = 0;
  size_t next = 0;
  for (; next < values.size() && filled < size; ++next) {
    if (values[next] == values[next]) heap[filled++] = values[next];
  }
  const auto first = heap.begin();
  const auto last = heap.begin() + static_cast<std::ptrdiff_t>(filled);
  std::make_heap(first, last, std::greater<>());  // min-heap: heap[0] is the k-th largest so far
  if (filled < size) {
    // Fewer than k non-NaN values: every one of them is kept.
    return filled == 0 ? 0.0f : *std::min_element(first, last);
  }
  const auto offer = [&](float value) {
    if (value > heap[0]) {
      std::pop_heap(first, last, std::greater<>());
      *(last - 1) = value;
      std::push_heap(first, last, std::greater<>());
    }
  };
  // Blocks of 16: one vectorizable block maximum decides whether any value of the block can
  // enter the heap, which after the first blocks is almost never.
  constexpr size_t kBlock = 16;
  for (; next < values.size() && next % kBlock != 0; ++next) offer(values[next]);
  for (; next + kBlock <= values.size(); next += kBlock) {
    float block_max = values[next];
    for (size_t j = 1; j < kBlock; ++j) {
      block_max = values[next + j] > block_max ? values[next + j] : block_max;
    }
    if (block_max > heap[0]) {
      for (size_t j = 0; j < kBlock; ++j) offer(values[next + j]);
    }
  }
  for (; next < values.size(); ++next) offer(values[next]);
  return heap[0];
}

void MassBuckets::add(std::span<const float> weights) {
  size_t i = 0;
  for (; i + 4 <= weights.size(); i += 4) {
    for (size_t j = 0; j < 4; ++j) {
      const float w = weights[i + j];
      copies[j][static_cast<size_t>(bucket_of_bits(std::bit_cast<uint32_t>(w)))] += w;
    }
  }
  for (; i < weights.size(); ++i) {
    copies[0][static_cast<size_t>(bucket_of_bits(std::bit_cast<uint32_t>(weights[i])))] +=
        weights[i];
  }
}

}  // namespace qinfer
