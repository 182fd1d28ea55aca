// `--dtype` of run / chat / logits: a Hugging Face model's weight matrices converted once at load
// (quantized with tensor/quantize.h, the blocks `qinfer quantize` writes), so a BF16 checkpoint
// can be served as Q8_0 or Q4_K without a conversion step. Norms stay F32.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "model/model.h"
#include "model/resident_weights.h"
#include "tensor/dtype.h"

namespace qinfer {

// f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k (case-insensitive); empty -> nullopt (as stored).
Expected<std::optional<DType>> parse_weight_dtype(std::string_view name);

// Converts every matrix of `model` (embeddings, lm_head, attention and MLP projections; a tied
// lm_head stays the embedding) to `dtype`. Fails, naming the tensor, when a row is not a whole
// number of blocks (e.g. q4_k needs rows that are multiples of 256). Only for Hugging Face
// models: a GGUF's types were chosen when it was written (requantize it with qinfer quantize).
Status convert_matrices(Model& model, DType dtype, int threads = 0);

// load_model, then convert_matrices when `dtype` is set, then place_weights
// (resident_weights.h: by default a huge-page copy of the matrices).
Expected<std::unique_ptr<Model>> load_model_as(const std::string& path, std::optional<DType> dtype,
                                               int threads = 0,
                                               WeightMemory memory = WeightMemory::kAuto);

}  // namespace qinfer
