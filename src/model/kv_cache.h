// The keys and values of every position a sequence has seen, per layer, so that a new token
// attends to them without recomputing the prompt. Elements are F32 or F16, chosen per cache:
// F16 halves the memory (Qwen3-14B at a 32K context: 5 GiB per sequence instead of 10) and the
// bytes attention streams per key, for one rounding of each key and value to 11 significant
// bits (relative error <= 2^-11 for normal values; a magnitude beyond 65504 would become inf).
// llama.cpp runs Qwen3 with an F16 cache by default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/expected.h"
#include "base/zeroed_pages.h"
#include "model/config.h"
#include "model/weights.h"
#include "tensor/dtype.h"

namespace qinfer {

// The element types a KvCache holds: F32 and F16.
bool is_supported_kv_dtype(DType dtype);

// --kv-type: "auto" (or empty) -> nullopt, "f32", "f16" (case-insensitive).
Expected<std::optional<DType>> parse_kv_dtype(std::string_view name);

// What "auto" means for a model: F32 when every weight matrix is F32 (the user chose full
// precision: the cache then changes no logit), F16 otherwise (the weights already round far more
// than an F16 cache does; vLLM's auto likewise follows the model's dtype).
DType default_kv_dtype(const ModelWeights& weights);

class KvCache {
 public:
  // Room for max_positions positions of one sequence, elements of `dtype` (F32 or F16):
  // max_positions * bytes_per_position(config, dtype) bytes of address space, whose pages are
  // committed as positions are written.
  KvCache(const Qwen3Config& config, int64_t max_positions, DType dtype = DType::F32);

  // 2 * layers * Hkv * D elements: the memory one position of one sequence takes.
  static int64_t bytes_per_position(const Qwen3Config& config, DType dtype);

  DType dtype() const { return dtype_; }
  int64_t max_positions() const { return max_positions_; }
  int64_t length() const { return length_; }          // positions filled, [0, length)
  // Reserved bytes (the most this cache can commit): max_positions * bytes_per_position.
  int64_t capacity_bytes() const { return 2 * n_layers_ * layer_bytes(); }

  // One layer's keys or values: [Hkv, max_positions, D] elements of dtype(). Each kv head's
  // positions are contiguous, so attention streams them front to back; laid out by position
  // ([max_positions, Hkv, D]), every key was a short read 2 KiB or more past the last one, and
  // the same attention kernel ran 1.65x slower from memory (bench/RESULTS.md).
  std::byte* keys(int64_t layer) { return storage_.data() + layer * layer_bytes(); }
  std::byte* values(int64_t layer) { return keys(n_layers_ + layer); }
  const std::byte* keys(int64_t layer) const { return storage_.data() + layer * layer_bytes(); }
  const std::byte* values(int64_t layer) const { return keys(n_layers_ + layer); }
  // Elements from one kv head to the next, and from one position to the next within a head.
  int64_t head_stride() const { return max_positions_ * head_dim_; }
  int64_t position_stride() const { return head_dim_; }
  // The D elements of kv head `head` at `position` in layer `layer`.
  std::byte* key(int64_t layer, int64_t head, int64_t position) {
    return keys(layer) + offset(head, position);
  }
  std::byte* value(int64_t layer, int64_t head, int64_t position) {
    return values(layer) + offset(head, position);
  }
  const std::byte* key(int64_t layer, int64_t head, int64_t position) const {
    return keys(layer) + offset(head, position);
  }
  const std::byte* value(int64_t layer, int64_t head, int64_t position) const {
    return values(layer) + offset(head, position);
  }

  // Copies positions [0, n) of every layer from `source` (same shape and dtype), making this
  // cache hold that prefix: a new sequence reuses another one's keys and values for a shared
  // prompt start.
  void copy_prefix_from(const KvCache& source, int64_t n);

  // The forward pass writes positions [length, length + n) of every layer and head, then
  // commits them.
  void commit(int64_t n) { length_ += n; }
  // Forgets positions [n, length): a new continuation after a shared prefix, or a reset (n = 0).
  void truncate(int64_t n) { length_ = n < length_ ? n : length_; }

 private:
  int64_t layer_bytes() const { return n_kv_heads_ * head_stride() * element_bytes_; }
  int64_t offset(int64_t head, int64_t position) const {
    return (head * head_stride() + position * position_stride()) * element_bytes_;
  }

  DType dtype_ = DType::F32;
  int64_t element_bytes_ = 4;
  int64_t n_layers_ = 0;
  int64_t max_positions_ = 0;
  int64_t n_kv_heads_ = 0;
  int64_t head_dim_ = 0;
  int64_t length_ = 0;
  // Keys [layers, Hkv, max_positions, D], then values likewise; pages are committed as
  // positions are written.
  ZeroedPages storage_;
};

}  // namespace qinfer
