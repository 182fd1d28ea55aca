// `qinfer quantize`: rewrites a Qwen3 model (Hugging Face directory or GGUF) as a GGUF whose
// tensors have the types llama-quantize gives them for the chosen mix (model/quant_mix.h) and the
// blocks it would write (tensor/quantize.h). Quantized inputs are dequantized first, as
// llama-quantize --allow-requantize does.
//
// Memory stays bounded by streaming: rows are converted a chunk at a time and written at once,
// and the input's pages are dropped from the resident set behind the reader, so a 14B model
// needs a few tens of MB beyond the metadata, whatever its size.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "model/quant_mix.h"
#include "tensor/dtype.h"

namespace qinfer {

struct QuantizeModelOptions {
  int threads = 0;  // 0: one per hardware thread
  // Called after each chunk with bytes of output tensor data written so far and the total.
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> progress;
};

struct QuantizedTensor {
  std::string name;             // GGUF name
  std::vector<int64_t> shape;   // outermost first
  DType from = DType::F32;
  DType to = DType::F32;
};

struct QuantizeModelReport {
  std::vector<QuantizedTensor> tensors;  // in file order
  uint64_t input_bytes = 0;              // tensor data read
  uint64_t output_bytes = 0;             // tensor data written (without padding)
};

// Writes `out_path`; the caller decides whether an existing file may be replaced. On error the
// partial output is removed.
Expected<QuantizeModelReport> quantize_model(const std::string& in_path,
                                             const std::string& out_path,
                                             const QuantTarget& target,
                                             const QuantizeModelOptions& options = {});

}  // namespace qinfer
