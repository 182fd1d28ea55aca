// A typed, shaped, non-owning view of tensor bytes (usually inside a memory-mapped model file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace qinfer {

struct TensorView {
  DType dtype = DType::F32;
  // Outermost dimension first, as PyTorch and safetensors write it: a Linear weight is
  // [out_features, in_features], each row contiguous. (GGUF lists dims innermost first; its
  // reader reverses them so every view in qinfer uses this order.)
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  uint64_t nbytes = 0;
  // A quantized matrix repacked at load for the running kernel backend (KernelTable::pack_rows,
  // model/resident_weights.h), read instead of `data` by matmuls; null when not packed.
  const std::byte* packed = nullptr;

  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t rows() const { return shape.size() < 2 ? 1 : elements() / shape.back(); }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  template <class T>
  const T* as() const { return reinterpret_cast<const T*>(data); }
};

std::string shape_string(const std::vector<int64_t>& shape);  // "[5120, 17408]"

}  // namespace qinfer
