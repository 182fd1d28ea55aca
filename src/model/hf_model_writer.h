// `qinfer mkmodel --format hf`: a random-weight Qwen3 as a Hugging Face directory, as
// save_pretrained lays one out: config.json, generation_config.json, model.safetensors (or
// model-0000K-of-0000N.safetensors shards + model.safetensors.index.json), tokenizer.json and
// tokenizer_config.json copied from a tokenizer directory.
// Tensors are generated chunk by chunk straight into the file (see random_init.h), so memory stays
// at a few chunks whatever the model size. The directory is built under a temporary name and
// renamed into place at the end: an interrupted run never leaves a half-written model behind.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "model/config.h"
#include "model/random_init.h"
#include "model/safetensors_writer.h"
#include "tensor/dtype.h"

namespace qinfer {

struct HfModelWriteOptions {
  // Largest tensor data per shard, in bytes; 0 writes a single model.safetensors. As in
  // save_pretrained, a tensor is never split: one larger than this gets a shard of its own.
  uint64_t max_shard_bytes = 0;
  bool overwrite = false;                 // replace an existing output directory
  int threads = 0;                        // generator threads; 0 = one per hardware thread
  // Called after each chunk with bytes of tensor data written so far and the total.
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> progress;
};

// "bfloat16", "float16" or "float32": config.json's torch_dtype for weights stored as `dtype`.
Expected<std::string> torch_dtype_for(DType dtype);

// The shards save_pretrained would make: tensors in order, a new shard when the next tensor would
// push the current one past max_shard_bytes. One shard when max_shard_bytes is 0.
std::vector<std::vector<SafetensorsEntry>> plan_shards(const std::vector<SafetensorsEntry>& entries,
                                                       uint64_t max_shard_bytes);

// Writes the directory `out_dir`. `dtype` (F32, F16 or BF16) applies to every tensor, norms
// included, as in the published checkpoints. Tokenizer files are copied from `tokenizer_dir`.
Status write_hf_model(const Qwen3Config& config, uint64_t seed, DType dtype,
                      const std::string& tokenizer_dir, const std::string& out_dir,
                      const HfModelWriteOptions& options = {});

}  // namespace qinfer
