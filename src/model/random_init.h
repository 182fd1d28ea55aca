// Deterministic random weights for `qinfer mkmodel`: every element is a pure function of
// (seed, tensor name, element index), so a tensor can be generated in any order, in chunks,
// by any thread, and the HF and GGUF outputs of one seed hold the same numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace qinfer {

struct TensorSpec {
  std::string name;                 // Hugging Face name, e.g. "model.layers.3.mlp.up_proj.weight"
  std::vector<int64_t> shape;       // [out, in] for linear weights, [n] for norms
};

// Every tensor of a Qwen3 checkpoint in the order transformers' save_pretrained writes them
// (sorted by name within the safetensors header is the file's concern, not this list's).
std::vector<TensorSpec> qwen3_tensor_specs(const Qwen3Config& config);

// Fills out[0..count) with elements [first, first+count) of tensor `name`, in f32.
void fill_random_tensor(const Qwen3Config& config, uint64_t seed, const TensorSpec& spec,
                        uint64_t first, uint64_t count, float* out);

// Config of a named preset: tiny, 0.6B, 1.7B, 4B, 8B, 14B (shapes in shared/qwen3/PRESETS.md).
Expected<Qwen3Config> qwen3_preset(const std::string& name);

}  // namespace qinfer
